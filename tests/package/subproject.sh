#!/usr/bin/env bash
# diffcheck through add_subdirectory (tests/package/parent): it imposes nothing on the parent.
# Its own code builds with the parent's flags (no -Werror of its own), its tests and benchmarks
# are off, no test of it reaches the parent's CTest, the parent's programs stay in the
# parent's binary folder, and a diffcheck target links into the parent's program.
#   subproject.sh SOURCE_DIR
set -euo pipefail
source=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake -S "$source/tests/package/parent" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DDIFFCHECK_SOURCE="$source" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work" --target parent_tool
"$work/parent_tool" | grep -qx parent || fail "the parent's program did not run"
[[ -x $work/parent_tool ]] || fail "the parent's program is not in the parent's binary folder"
grep -q -- "-Werror" "$work/compile_commands.json" && fail "diffcheck added -Werror to the parent's build"
grep -q "simt.cpp" "$work/compile_commands.json" || fail "diffcheck's code is not built with the parent's"
grep -q -- "-Wall" "$work/compile_commands.json" || fail "the parent's warnings are not applied"
targets=$(cmake --build "$work" --target help)
for t in cli_test row_families_test runner_bench conformance_test; do
  grep -q "^$t:" <<<"$targets" && fail "diffcheck's $t target is in the parent's build"
done
[[ -e $work/diffcheck/CTestTestfile.cmake ]] && fail "diffcheck's tests reach the parent's CTest"
grep -q "^DIFFCHECK_WERROR:BOOL=OFF" "$work/CMakeCache.txt" || fail "DIFFCHECK_WERROR is not off"
echo "diffcheck as a subproject: OK"
