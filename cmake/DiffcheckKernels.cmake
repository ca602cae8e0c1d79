# The CMake functions of diffcheck, the same in its own tree and in an installed package
# (find_package(diffcheck CONFIG REQUIRED) includes this file):
#
# diffcheck_add_kernel_family(NAME name SOURCES files... [REFERENCE files...]
#                             [EXTERNAL files...] [HEADERS files...] [WARP_SIZE 32|64]
#                             [EMULATES nvidia|amd] [DEVICE_RENAMES namespaces...]
#                             [WRAPS ignore-list] [MUTANTS file [NAMESPACE ns]
#                             [INCLUDED_KERNELS headers...]] [GPU_TARGETS nvidia|amd...]
#                             [PORTABLE] [TARGET object-library])
#   A kernel family: its driver (*.cpp: keys, tensors, inputs, launch, check; it registers the
#   family), its kernel files as they are written (*.cu, *.hip: compiled for the CPU backend),
#   and its float64 reference (REFERENCE, *.cpp). EXTERNAL: kernel files the project did not
#   write (no warnings as errors). HEADERS: kernel headers that declare `extern __shared__` or
#   launch with <<<...>>>. WRAPS: the deliberate wraps of its kernels, not to be reported by
#   `--check overflow` (see diffcheck_overflow_checks). The family becomes the object library
#   `name` (the registration is a static object: every object must reach the executable), or
#   joins TARGET. MUTANTS: the family's mutants for `diffcheck selftest`, each a few lines of
#   its kernel files replaced (the file's format: runtime/tools/cpu_source.cpp). Each mutant
#   compiles the kernel files and the driver again, the kernel's namespace NAMESPACE (default:
#   the family's name; the driver must use that name for nothing else) renamed for it, and
#   registers as `name~mutant` (bf16-or-first dtype and index=i64 only: whatever fails is the
#   planted defect). INCLUDED_KERNELS: a kernel written as a header that the driver includes
#   from its own folder (`#include "kernel.hpp"`, the gated-delta-rule stages): the mutants are
#   planted in a copy of it, compiled with a copy of the driver beside it.
#   In a GPU build (DIFFCHECK_GPU nvidia or amd) the same description also gives the family's
#   device side: its kernel files compiled for the GPU as they are written (nvcc, or HIP's
#   clang), the namespace NAMESPACE renamed for them, and the driver compiled again with
#   DIFFCHECK_DEVICE_SIDE, so that its registration gives the GPU backend the same problem
#   class, launching the whole grid through the kernel's own host entry
#   (harness/device/device_side.hpp). GPU_TARGETS: the GPUs its kernel files are written for
#   (default: nvidia for CUDA sources, both for HIP); on another, `diffcheck list` says the
#   family has no device side and why. DEVICE_RENAMES: the namespaces of other families'
#   kernels whose host entries the driver calls (a pipeline of them), renamed in its device
#   side as its own; such a family gets a device side without kernel files of its own.
#   EMULATES: the GPU whose limits the CPU backend checks the family's launches against (its
#   warp size, its shared memory; default: an H100 for CUDA sources, an MI300X for HIP).
#   PORTABLE: the kernel files are written in the portable subset (runtime/hip_portable.hpp)
#   that every supported toolchain compiles, so they get a device side even where the HIP
#   toolchain is too old for kernel files written in ROCm 6.2's vocabulary (Debian's HIP 5.2).
#
# diffcheck_add_executable(name [FAMILIES families...] [NO_BUILTIN])
#   A `diffcheck` command with diffcheck's own families (unless NO_BUILTIN) and FAMILIES.
#
# diffcheck_cpu_kernel_sources(TARGET [EXTERNAL] [WARP_SIZE 32|64] SOURCES files... [HEADERS files...])
#   Compiles CUDA (.cu) or HIP (.hip) kernel files, as they are written, into TARGET for the
#   CPU backend. Each file (and each header listed in HEADERS) goes through diffcheck-cpu-source
#   into the build tree, keeping its name and lines; the file's own folder stays on its quoted
#   include path. The files see the CUDA and HIP headers of the CPU runtime and are compiled
#   with -fwrapv. WARP_SIZE: the warp size of their launches (default: 64 for HIP sources, 32
#   for CUDA). With clang 19 or later they also get the integer-overflow checks (below).
#
# diffcheck_overflow_checks(files...)
#   Compiles the files with clang's integer checks, for `--check overflow`
#   (runtime/overflow_check.hpp): signed and unsigned overflow, implicit truncation and sign
#   change, recoverable, restricted to kernel code by overflow_ignore.txt (next to this file)
#   and by any WRAPS list a family names (a sanitizer ignore list: `fun:` and `src:` lines for
#   deliberate wraps; a single function can say DC_INTENTIONAL_WRAP instead). Needs clang 19 or
#   later (it checks signed arithmetic under -fwrapv); elsewhere, and in sanitizer builds
#   (whose runtime has its own handlers), it does nothing and DIFFCHECK_OVERFLOW_CHECK is OFF;
#   an installed package whose runtime was built without the handlers turns it off too.

set(_diffcheck_cmake_dir ${CMAKE_CURRENT_LIST_DIR})
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 19
   AND NOT DIFFCHECK_SANITIZE AND (NOT DEFINED DIFFCHECK_OVERFLOW_HANDLERS
                                   OR DIFFCHECK_OVERFLOW_HANDLERS))
  set(_diffcheck_overflow_default ON)
else()
  set(_diffcheck_overflow_default OFF)
endif()
option(DIFFCHECK_OVERFLOW_CHECK "Compile kernel code with the integer-overflow checks (clang 19+)"
       ${_diffcheck_overflow_default})

function(diffcheck_overflow_checks)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "SOURCES;WRAPS")
  if(NOT DIFFCHECK_OVERFLOW_CHECK)
    return()
  endif()
  set(flags
      -fsanitize=signed-integer-overflow,unsigned-integer-overflow,implicit-integer-truncation,implicit-integer-sign-change
      -fsanitize-recover=all -fsanitize-ignorelist=${_diffcheck_cmake_dir}/overflow_ignore.txt)
  set(lists ${_diffcheck_cmake_dir}/overflow_ignore.txt)
  foreach(list IN LISTS arg_WRAPS)
    get_filename_component(list ${list} ABSOLUTE)
    list(APPEND flags -fsanitize-ignorelist=${list})
    list(APPEND lists ${list})
  endforeach()
  set_property(SOURCE ${arg_SOURCES} APPEND PROPERTY COMPILE_OPTIONS ${flags})
  set_property(SOURCE ${arg_SOURCES} APPEND PROPERTY OBJECT_DEPENDS ${lists})
endfunction()

function(diffcheck_cpu_kernel_sources target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "EXTERNAL" "WARP_SIZE;EMULATES"
                        "SOURCES;HEADERS;WRAPS;MUTANT")
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/diffcheck_cpu/${target})
  set(mutant_args "")
  set(beside "")
  if(arg_MUTANT)  # (name file namespace [dir]): that mutant planted, the namespace renamed
    list(GET arg_MUTANT 0 mutant_name)
    list(GET arg_MUTANT 1 mutant_file)
    list(GET arg_MUTANT 2 mutant_namespace)
    string(APPEND out_dir /mutants/${mutant_name})
    set(mutant_args --mutant ${mutant_file} ${mutant_name})
    list(LENGTH arg_MUTANT mutant_fields)
    if(mutant_fields EQUAL 4)  # planted in an included header copied to dir: the files go beside it
      list(GET arg_MUTANT 3 beside)
      set(mutant_args "")
    endif()
  endif()
  set(generated_sources "")
  set(generated_headers "")
  foreach(file IN LISTS arg_SOURCES arg_HEADERS)
    get_filename_component(abs ${file} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    file(RELATIVE_PATH rel ${CMAKE_CURRENT_SOURCE_DIR} ${abs})
    string(REPLACE "../" "__/" rel ${rel})
    set(gen ${out_dir}/${rel})
    if(beside)
      get_filename_component(name ${file} NAME)
      set(gen ${beside}/${name})
    endif()
    if(file IN_LIST arg_SOURCES)
      string(APPEND gen .cpp)
      list(APPEND generated_sources ${gen})
    else()
      list(APPEND generated_headers ${gen})
    endif()
    add_custom_command(OUTPUT ${gen}
                       COMMAND diffcheck::cpu-source ${abs} ${gen} ${mutant_args}
                       DEPENDS ${abs} diffcheck::cpu-source ${mutant_file}
                       COMMENT "CPU backend source of ${rel} ${mutant_name}" VERBATIM)
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
  if(arg_EMULATES STREQUAL "nvidia")
    set_property(SOURCE ${generated_sources} APPEND PROPERTY COMPILE_DEFINITIONS
                 DIFFCHECK_EMULATED_GPU=1)
  elseif(arg_EMULATES STREQUAL "amd")
    set_property(SOURCE ${generated_sources} APPEND PROPERTY COMPILE_DEFINITIONS
                 DIFFCHECK_EMULATED_GPU=2)
  elseif(arg_EMULATES)
    message(FATAL_ERROR "EMULATES ${arg_EMULATES}: nvidia or amd")
  endif()
  if(arg_MUTANT)
    set_property(SOURCE ${generated_sources} APPEND PROPERTY COMPILE_DEFINITIONS
                 ${mutant_namespace}=${mutant_namespace}__${mutant_name})
  endif()
  diffcheck_overflow_checks(SOURCES ${generated_sources} WRAPS ${arg_WRAPS})
  target_link_libraries(${target} PRIVATE diffcheck::cpu_runtime)
endfunction()

function(diffcheck_add_kernel_family)
  cmake_parse_arguments(PARSE_ARGV 0 arg "PORTABLE" "NAME;TARGET;WARP_SIZE;EMULATES;MUTANTS;NAMESPACE"
                        "SOURCES;REFERENCE;EXTERNAL;HEADERS;WRAPS;GPU_TARGETS;INCLUDED_KERNELS;DEVICE_RENAMES")
  if(NOT arg_NAME OR NOT arg_SOURCES)
    message(FATAL_ERROR "diffcheck_add_kernel_family: NAME and SOURCES are required")
  endif()
  set(target ${arg_TARGET})
  if(NOT target)
    set(target ${arg_NAME})
    add_library(${target} OBJECT)
    target_link_libraries(${target} PUBLIC diffcheck::harness diffcheck::reference)
  endif()
  set(kernels ${arg_SOURCES})
  list(FILTER kernels INCLUDE REGEX "\\.(cu|hip)$")
  set(host ${arg_SOURCES} ${arg_REFERENCE})
  list(FILTER host EXCLUDE REGEX "\\.(cu|hip)$")
  target_sources(${target} PRIVATE ${host})
  if(DIFFCHECK_OVERFLOW_CHECK)  # the registration says so (KernelFamily::overflow_checked)
    set_property(SOURCE ${host} APPEND PROPERTY COMPILE_DEFINITIONS DIFFCHECK_KERNELS_CHECKED=1)
  endif()
  set(warp_size "")  # (and the GPU emulated)
  if(arg_WARP_SIZE)
    set(warp_size WARP_SIZE ${arg_WARP_SIZE})
  endif()
  if(arg_EMULATES)
    list(APPEND warp_size EMULATES ${arg_EMULATES})
  endif()
  if(kernels)
    diffcheck_cpu_kernel_sources(${target} ${warp_size} SOURCES ${kernels} HEADERS ${arg_HEADERS}
                                 WRAPS ${arg_WRAPS})
  endif()
  if(arg_EXTERNAL)
    diffcheck_cpu_kernel_sources(${target} EXTERNAL ${warp_size} SOURCES ${arg_EXTERNAL}
                                 WRAPS ${arg_WRAPS})
  endif()
  set(namespace ${arg_NAMESPACE})
  if(NOT namespace)
    set(namespace ${arg_NAME})
  endif()
  set(drivers ${arg_SOURCES})
  list(FILTER drivers EXCLUDE REGEX "\\.(cu|hip)$")
  if(arg_MUTANTS)
    _diffcheck_add_mutants()
  endif()
  if((kernels OR arg_DEVICE_RENAMES) AND DEFINED DIFFCHECK_GPU AND NOT DIFFCHECK_GPU STREQUAL "none")
    _diffcheck_add_device_side()
  endif()
  set_property(GLOBAL APPEND PROPERTY DIFFCHECK_FAMILIES ${arg_NAME})
endfunction()

# (diffcheck_add_kernel_family's scope) the family's device side in a GPU build: its kernel
# files compiled for the GPU, the namespace renamed, and the driver again through a wrapper
# that registers the GPU side instead of the family; or, when its kernel files are not written
# for this GPU, a registration that says so
macro(_diffcheck_add_device_side)
  set(device_dir ${CMAKE_CURRENT_BINARY_DIR}/diffcheck_device/${arg_NAME})
  set(gpu_targets ${arg_GPU_TARGETS})
  if(NOT gpu_targets AND kernels MATCHES "\\.cu(;|$)")
    set(gpu_targets nvidia)  # CUDA source: NVIDIA's (HIP runs on both)
  endif()
  set(no_device_side "")
  if(gpu_targets AND NOT DIFFCHECK_GPU IN_LIST gpu_targets)
    string(REPLACE ";" " and " written_for "${gpu_targets}")
    set(no_device_side "its kernel files are written for ${written_for} GPUs only (GPU_TARGETS)")
  elseif(DIFFCHECK_GPU_NO_DEVICE_SIDES AND NOT arg_PORTABLE)  # too old for kernel files as written
    set(no_device_side "${DIFFCHECK_GPU_NO_DEVICE_SIDES}")
  endif()
  if(no_device_side)
    file(CONFIGURE OUTPUT ${device_dir}/no_device_side.cpp @ONLY CONTENT
"// generated: ${arg_NAME} has no device side in this (${DIFFCHECK_GPU}) build
#include \"harness/device/gpu_kernel.hpp\"

namespace {
const dc::gpu::GpuRegistration registration(\"${arg_NAME}\",
                                            dc::gpu::no_device_side(\"${no_device_side}\"));
}  // namespace
")
    target_sources(${target} PRIVATE ${device_dir}/no_device_side.cpp)
  else()
    set(device_kernels ${kernels} ${arg_EXTERNAL})
    set(renames "")  # the kernels' namespaces, and the wrapper's #defines of them
    set(defines "")
    foreach(renamed IN ITEMS ${namespace} ${arg_DEVICE_RENAMES})
      list(APPEND renames ${renamed}=${renamed}__device)
      string(APPEND defines "#define ${renamed} ${renamed}__device\n")
    endforeach()
    if(device_kernels)
      set_source_files_properties(${device_kernels} PROPERTIES LANGUAGE ${DIFFCHECK_GPU_LANGUAGE})
      set_property(SOURCE ${device_kernels} APPEND PROPERTY COMPILE_DEFINITIONS ${renames})
      target_sources(${target} PRIVATE ${device_kernels})
    endif()
    set_property(TARGET ${target} PROPERTY ${DIFFCHECK_GPU_LANGUAGE}_ARCHITECTURES
                 ${DIFFCHECK_GPU_ARCHITECTURES})
    if(DIFFCHECK_GPU STREQUAL "nvidia")  # kernel files written in HIP: its spelling on CUDA
      target_include_directories(
        ${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:${_diffcheck_cmake_dir}/../runtime/nvidia_hip>)
    endif()
    foreach(driver IN LISTS drivers)
      get_filename_component(driver_abs ${driver} ABSOLUTE)
      get_filename_component(driver_name ${driver} NAME)
      file(CONFIGURE OUTPUT ${device_dir}/${driver_name} @ONLY CONTENT
"// generated: the device side of ${arg_NAME} (${DIFFCHECK_GPU})
#define DIFFCHECK_DEVICE_SIDE 1
${defines}#include \"${driver_abs}\"
#include \"harness/device/device_side.hpp\"
")
      target_sources(${target} PRIVATE ${device_dir}/${driver_name})
    endforeach()
  endif()
endmacro()

# (diffcheck_add_kernel_family's scope) each mutant of the MUTANTS file: the kernel files with
# it planted, and the driver again, through a wrapper that names the mutant and renames the
# kernel's namespace
macro(_diffcheck_add_mutants)
  get_filename_component(mutants_file ${arg_MUTANTS} ABSOLUTE)
  file(STRINGS ${mutants_file} mutant_lines REGEX "^mutant ")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${mutants_file})
  foreach(mutant_line IN LISTS mutant_lines)
    if(NOT mutant_line MATCHES "^mutant ([A-Za-z0-9_]+): *(.+)$")
      message(FATAL_ERROR "${mutants_file}: '${mutant_line}' is not `mutant NAME: what it does`")
    endif()
    set(mutant ${CMAKE_MATCH_1})
    string(REPLACE "\\" "\\\\" what "${CMAKE_MATCH_2}")
    string(REPLACE "\"" "\\\"" what "${what}")
    set(mutant_dir ${CMAKE_CURRENT_BINARY_DIR}/diffcheck_mutants/${arg_NAME}/${mutant})
    set(beside "")  # the kernel files of a mutant planted in an included header: beside its copy
    if(arg_INCLUDED_KERNELS)
      set(beside ${mutant_dir}/planted)
    endif()
    if(kernels)
      diffcheck_cpu_kernel_sources(
        ${target} ${warp_size} SOURCES ${kernels} HEADERS ${arg_HEADERS} WRAPS ${arg_WRAPS}
        MUTANT ${mutant} ${mutants_file} ${namespace} ${beside})
    endif()
    # a kernel header the driver includes from its own folder: planted in a copy, beside a
    # copy of the driver (so that its quoted include finds the planted one), both keeping the
    # original's name and lines (#line)
    set(planted "")
    set(copied "")
    if(arg_INCLUDED_KERNELS)
      set(copied ${arg_INCLUDED_KERNELS} ${drivers})
    endif()
    foreach(file IN LISTS copied)
      get_filename_component(abs ${file} ABSOLUTE)
      get_filename_component(name ${file} NAME)
      set(plant --mutant ${mutants_file} ${mutant})
      if(file IN_LIST drivers)
        set(plant "")
        string(APPEND name .inc)
      endif()
      add_custom_command(OUTPUT ${mutant_dir}/planted/${name}
                         COMMAND diffcheck::cpu-source ${abs} ${mutant_dir}/planted/${name} ${plant}
                         DEPENDS ${abs} diffcheck::cpu-source ${mutants_file}
                         COMMENT "mutant ${mutant} of ${arg_NAME}: ${name}" VERBATIM)
      list(APPEND planted ${mutant_dir}/planted/${name})
    endforeach()
    if(planted)
      set_source_files_properties(${planted} PROPERTIES HEADER_FILE_ONLY ON)
      target_sources(${target} PRIVATE ${planted})
      foreach(file IN LISTS kernels)
        get_filename_component(name ${file} NAME)
        set_property(SOURCE ${beside}/${name}.cpp APPEND PROPERTY OBJECT_DEPENDS ${planted})
      endforeach()
    endif()
    foreach(driver IN LISTS drivers)
      get_filename_component(driver_abs ${driver} ABSOLUTE)
      get_filename_component(driver_name ${driver} NAME)
      if(arg_INCLUDED_KERNELS)
        set(driver_abs ${mutant_dir}/planted/${driver_name}.inc)
      endif()
      set(wrapper ${mutant_dir}/${driver_name})
      file(CONFIGURE OUTPUT ${wrapper} @ONLY CONTENT
"// generated: mutant ${mutant} of ${arg_NAME} (${mutants_file})
#define DIFFCHECK_MUTANT \"${mutant}\"
#define DIFFCHECK_MUTANT_WHAT \"${what}\"
#define ${namespace} ${namespace}__${mutant}
#include \"${driver_abs}\"
")
      target_sources(${target} PRIVATE ${wrapper})
      set_property(SOURCE ${wrapper} APPEND PROPERTY OBJECT_DEPENDS ${planted})
      if(DIFFCHECK_OVERFLOW_CHECK)
        set_property(SOURCE ${wrapper} APPEND PROPERTY COMPILE_DEFINITIONS
                     DIFFCHECK_KERNELS_CHECKED=1)
      endif()
    endforeach()
  endforeach()
endmacro()

function(diffcheck_add_executable name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_BUILTIN" "" "FAMILIES")
  add_executable(${name})
  target_link_libraries(${name} PRIVATE diffcheck::main ${arg_FAMILIES})
  if(NOT arg_NO_BUILTIN)
    target_link_libraries(${name} PRIVATE diffcheck::kernels)
  endif()
endfunction()
