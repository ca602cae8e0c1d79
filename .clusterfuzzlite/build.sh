#!/bin/bash -eu
# Builds diffcheck's libFuzzer targets with the flags ClusterFuzzLite passes ($CXX, $CXXFLAGS
# with the sanitizer and coverage flags, $LIB_FUZZING_ENGINE) and installs them in $OUT with
# their dictionary and seed corpora. Warnings are not errors here (the image's clang is newer
# than the project's CI compilers); the CLI, tests and benchmarks are not built (no CLI11).
# kernel_fuzz's seeds are the corpus entries expected to pass and fuzz/seeds: a seed must not
# be a crash (the target aborts only on an unexpected verdict, fuzz/kernel_fuzz.cpp).
cmake -S . -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DDIFFCHECK_FUZZ=ON -DDIFFCHECK_CLI=OFF -DDIFFCHECK_TESTS=OFF -DDIFFCHECK_BENCH=OFF \
  -DDIFFCHECK_WERROR=OFF -DDIFFCHECK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$WORK/build" --target kernel_fuzz shape_parser_fuzz
for target in kernel_fuzz shape_parser_fuzz; do
  cp "$WORK/build/bin/$target" "$OUT/"
  cp fuzz/shape.dict "$OUT/$target.dict"
done
seeds=$(mktemp -d)
grep -rlx '# expect: pass' corpus | while read -r f; do cp "$f" "$seeds/$(echo "$f" | tr / _)"; done
cp fuzz/seeds/* "$seeds/"
rm -f "$OUT/kernel_fuzz_seed_corpus.zip" "$OUT/shape_parser_fuzz_seed_corpus.zip"
(cd "$seeds" && zip -q -r "$OUT/kernel_fuzz_seed_corpus.zip" .)
(cd fuzz/seeds && zip -q -r "$OUT/shape_parser_fuzz_seed_corpus.zip" .)
rm -rf "$seeds"
# a case near the limit can take a minute: give libFuzzer's per-input timeout room
printf '[libfuzzer]\ntimeout = 300\nrss_limit_mb = 16384\n' > "$OUT/kernel_fuzz.options"
