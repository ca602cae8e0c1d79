# The installed package: `cmake --install` puts the command, the headers, the libraries and a
# CMake package in the prefix, and `cpack -G DEB` makes a .deb of the same install.
#
#   find_package(diffcheck CONFIG REQUIRED)
#   diffcheck_add_kernel_family(NAME my_norm SOURCES driver.cpp my_norm.cu REFERENCE ref.cpp)
#   diffcheck_add_executable(diffcheck FAMILIES my_norm)
#
# Targets (namespace diffcheck::): harness, simt (the SIMT scheduler), cpu_runtime (what a
# kernel file compiled for the CPU backend gets), reference, kernels (diffcheck's own families),
# main (the command's main()), cpu-source (the source rewriter). The package is of the CPU
# backend: a GPU build installs its command only.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(DIFFCHECK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/diffcheck)

if(DIFFCHECK_CLI)
  install(TARGETS diffcheck RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(NOT DIFFCHECK_CLI OR NOT DIFFCHECK_GPU STREQUAL "none")
  return()
endif()

install(TARGETS diffcheck_harness_core diffcheck_simt diffcheck_reference diffcheck_kernels
                diffcheck_main diffcheck_cpu_runtime diffcheck_fmt diffcheck_warnings
                diffcheck-cpu-source
        EXPORT diffcheckTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        OBJECTS DESTINATION ${CMAKE_INSTALL_LIBDIR}/diffcheck/objects
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# headers keep their paths under include/diffcheck ("harness/problem.hpp", ...); the CPU
# runtime's CUDA and HIP headers stay under include/diffcheck/runtime/include, off the
# prefix's own include path
foreach(dir harness kernels/rows kernels/gated_delta reference)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/diffcheck/${dir}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h" PATTERN "device" EXCLUDE PATTERN "cli" EXCLUDE)
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/diffcheck/runtime
        PATTERN "*.cpp" EXCLUDE PATTERN "tools" EXCLUDE PATTERN "CMakeLists.txt" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/corpus DESTINATION ${CMAKE_INSTALL_DATADIR}/diffcheck)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/kernels/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME kernels.md)

install(EXPORT diffcheckTargets NAMESPACE diffcheck:: DESTINATION ${DIFFCHECK_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/diffcheckConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/diffcheckConfig.cmake
                              INSTALL_DESTINATION ${DIFFCHECK_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/diffcheckConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/diffcheckConfig.cmake
              ${PROJECT_BINARY_DIR}/diffcheckConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/DiffcheckKernels.cmake
              ${PROJECT_SOURCE_DIR}/cmake/overflow_ignore.txt
        DESTINATION ${DIFFCHECK_INSTALL_CMAKEDIR})

if(PROJECT_IS_TOP_LEVEL)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGE_NAME diffcheck)
  set(CPACK_PACKAGE_VENDOR "diffcheck")
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
      "differential correctness and fuzz testing of GPU kernels at 32-bit offset limits")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "diffcheck developers")
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  # what find_package(diffcheck) finds in turn, and the libraries the command links
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "cmake (>= 3.25), ninja-build, g++ | clang, libeigen3-dev (>= 3.4), libfmt-dev, nlohmann-json3-dev, libcli11-dev, libboost-context-dev (>= 1.74)")
  include(CPack)
endif()
