#!/usr/bin/env bash
# The .deb of the install (CPack): it holds the command, the CMake package and the headers.
#   deb.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" > cpack.log) ||
  { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/diffcheck_*.deb)
echo "== $(basename "$deb")"
dpkg-deb --info "$deb" | grep -E "Package|Version|Depends"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/diffcheck ./usr/bin/diffcheck-cpu-source \
         ./usr/lib/cmake/diffcheck/diffcheckConfig.cmake ./usr/lib/cmake/diffcheck/DiffcheckKernels.cmake \
         ./usr/include/diffcheck/harness/problem.hpp ./usr/include/diffcheck/kernels/rows/row_problem.hpp \
         ./usr/include/diffcheck/runtime/include/cuda_runtime.h ./usr/lib/libdiffcheck_harness.a; do
  grep -q " $f\$" <<<"$contents" || { echo "FAIL: $f is not in the package"; exit 1; }
done
echo "deb: OK ($(grep -c '^-' <<<"$contents") files)"
