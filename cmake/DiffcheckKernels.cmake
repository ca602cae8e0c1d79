# diffcheck_cpu_kernel_sources(TARGET [EXTERNAL] [WARP_SIZE 32|64] SOURCES files... [HEADERS files...])
#
# Compiles CUDA (.cu) or HIP (.hip) kernel files, as they are written, into TARGET for the CPU
# backend. Each file (and each header listed in HEADERS: ones that declare `extern __shared__`
# or launch with <<<...>>>) goes through diffcheck-cpu-source into the build tree, keeping its
# name and lines; the file's own folder stays on its quoted include path. The files see the
# CUDA and HIP headers of runtime/include and are compiled with -fwrapv.
#   EXTERNAL   files the project did not write: compiled without warnings as errors
#   WARP_SIZE  the warp size of their launches (default: 64 for HIP sources, 32 for CUDA)
function(diffcheck_cpu_kernel_sources target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "EXTERNAL" "WARP_SIZE" "SOURCES;HEADERS")
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/diffcheck_cpu/${target})
  set(generated_sources "")
  set(generated_headers "")
  foreach(file IN LISTS arg_SOURCES arg_HEADERS)
    get_filename_component(abs ${file} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    file(RELATIVE_PATH rel ${CMAKE_CURRENT_SOURCE_DIR} ${abs})
    string(REPLACE "../" "__/" rel ${rel})
    set(gen ${out_dir}/${rel})
    if(file IN_LIST arg_SOURCES)
      string(APPEND gen .cpp)
      list(APPEND generated_sources ${gen})
    else()
      list(APPEND generated_headers ${gen})
    endif()
    add_custom_command(OUTPUT ${gen}
                       COMMAND diffcheck-cpu-source ${abs} ${gen}
                       DEPENDS ${abs} diffcheck-cpu-source
                       COMMENT "CPU backend source of ${rel}" VERBATIM)
    set_property(SOURCE ${gen} APPEND PROPERTY COMPILE_OPTIONS -iquote ${dir})
  endforeach()
  target_sources(${target} PRIVATE ${generated_sources} ${generated_headers})
  set_property(SOURCE ${generated_sources} APPEND PROPERTY OBJECT_DEPENDS ${generated_headers})
  if(arg_EXTERNAL)
    set_property(SOURCE ${generated_sources} APPEND PROPERTY COMPILE_OPTIONS -Wno-error)
  endif()
  if(arg_WARP_SIZE)
    set_property(SOURCE ${generated_sources} APPEND PROPERTY COMPILE_DEFINITIONS
                 DIFFCHECK_WARP_SIZE=${arg_WARP_SIZE})
  endif()
  target_link_libraries(${target} PRIVATE diffcheck_cpu_runtime)
endfunction()
