#!/bin/bash -eu
# Builds diffcheck's libFuzzer targets with the flags ClusterFuzzLite passes ($CXX,
# $CXXFLAGS with the sanitizer and coverage flags, $LIB_FUZZING_ENGINE) and installs them in
# $OUT with their dictionary and a seed corpus made of corpus/ (only a file's first line, the
# shape, is read by the targets).
cmake -S . -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DDIFFCHECK_FUZZ=ON -DDIFFCHECK_TESTS=OFF -DDIFFCHECK_BENCH=OFF \
  -DDIFFCHECK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$WORK/build" --target kernel_fuzz shape_parser_fuzz
for target in kernel_fuzz shape_parser_fuzz; do
  cp "$WORK/build/bin/$target" "$OUT/"
  cp fuzz/shape.dict "$OUT/$target.dict"
done
(cd corpus && zip -q -r "$OUT/kernel_fuzz_seed_corpus.zip" . -x '*README*')
(cd fuzz/seeds && zip -q -r "$OUT/shape_parser_fuzz_seed_corpus.zip" .)
# a case near the limit can take a minute: give libFuzzer's per-input timeout room
printf '[libfuzzer]\ntimeout = 300\nrss_limit_mb = 16384\n' > "$OUT/kernel_fuzz.options"
