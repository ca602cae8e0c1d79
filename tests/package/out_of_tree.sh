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
cmake -S "$work/example" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
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
[[ $status == 1 ]] && grep -q "^FAIL  oob_read" "$work/onset.txt" &&
  grep -q "first bad row 524288 .*where blockIdx.x \* cols reaches 2^31" "$work/onset.txt" ||
  { echo "FAIL: expected oob_read at row 524288 (exit 1), got exit $status"; exit 1; }
step "its corpus"
"$bin" replay "$work/example/corpus"
step "the generic checks of its family"
"$bin" family-check --kernel scale_rows
echo "out-of-tree example: OK"
