#!/usr/bin/env bash
# diffcheck as a user gets it: installed into a temporary prefix; examples/out_of_tree copied
# out of the source tree, configured and built against that prefix alone; then run: its small
# shape passes, its pre-fix variant fails at its crossing, its corpus replays as expected, and
# the generic checks pass for its family.
#   out_of_tree.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo "== $*"; }

step "cmake --install $build --prefix <tmp>/prefix"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cp -r "$source/examples/out_of_tree" "$work/example"
step "configure and build examples/out_of_tree against the prefix"
# with diffcheck's compiler: clang 19 gives the example's kernel the overflow checks too
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
checked=$(sed -n 's/^DIFFCHECK_OVERFLOW_CHECK:BOOL=//p' "$build/CMakeCache.txt")
cmake -S "$work/example" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$compiler" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build"
step "nothing from diffcheck's source tree on the example's command lines"
if grep -F "$source" "$work/build/compile_commands.json"; then
  echo "FAIL: the example's build reads diffcheck's source tree"
  exit 1
fi
bin=$work/build/diffcheck
step "its small shape passes"
"$bin" --shape 'scale_rows:tokens=64,cols=256,index=i32'
step "its pre-fix variant fails at its crossing"
status=0
"$bin" --shape 'scale_rows:tokens=524289,cols=4096,index=i32' > "$work/onset.txt" || status=$?
cat "$work/onset.txt"
[[ $status == 1 ]] && grep -q "first bad row 524288 .*where blockIdx.x \* cols reaches 2^31" "$work/onset.txt" ||
  { echo "FAIL: expected a failure at row 524288 (exit 1), got exit $status"; exit 1; }
if [[ $checked == ON ]]; then  # the overflow at the kernel's line, then the guard hit
  grep -q "^FAIL  int_overflow" "$work/onset.txt" &&
    grep -q "integer overflow at .*scale_rows.cu:[0-9]*:[0-9]*: signed 32-bit product 524288 \* 4096" "$work/onset.txt" &&
    grep -q "; then oob_read: " "$work/onset.txt" ||
    { echo "FAIL: expected int_overflow at scale_rows.cu, then oob_read"; exit 1; }
else
  grep -q "^FAIL  oob_read" "$work/onset.txt" || { echo "FAIL: expected oob_read"; exit 1; }
fi
step "its corpus"
"$bin" replay "$work/example/corpus"
step "the generic checks of its family"
"$bin" family-check --kernel scale_rows
echo "out-of-tree example: OK"
