#!/usr/bin/env bash
# The GPU machine's part of the benchmarks and proofs, one phase per device command (each well
# under 10 minutes). Needs Node 24 and ccache on PATH, dist/ built, the SageAttention sources in
# .src/woct0rdho and .src/thu-ml (kept out of the repository), and for `pipeline` the bundle
# .src/tools/sageattention-pipeline.mjs (node bench/bundle.mjs bench/sageattention-pipeline.ts).
#
#   bench/sageattention-gpu.sh pipeline   # sagewheels run on woct0rdho, 8.0;8.6;8.9;9.0;12.0, to a loopback release
#   bench/sageattention-gpu.sh no-120     # the step on woct0rdho without 12.0, then verify both wheels
# The build phases (plain, step, thu-ml, spaces) are bench/build-sageattention.sh's.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/.tmp/bench-build}
PY=${BENCH_PYTHON:-/opt/torch/.venv/bin/python3}
CCACHE=${BENCH_CCACHE:-$ROOT/.tmp/bench-ccache}
ARCHS='8.0;8.6;8.9;9.0;12.0'
mkdir -p "$OUT"
export PIP_NO_INDEX=1 CUDA_HOME=${BENCH_CUDA_HOME:-/usr/local/cuda} RUNNER_TEMP=$ROOT/.tmp/gpu-temp
mkdir -p "$RUNNER_TEMP"
sw() { node dist/cli/index.mjs "$@"; }

case "${1:?usage: bench/sageattention-gpu.sh pipeline|no-120}" in
  pipeline)
    rm -rf "$OUT/wheels-pipeline"
    node .src/tools/sageattention-pipeline.mjs "$ROOT/.src/woct0rdho" "$ARCHS" "$PY" "$CCACHE" "$OUT" 2>&1 | tee "$OUT/pipeline.log"
    ;;
  no-120)
    rm -rf "$OUT/wheels-no120"
    start=$SECONDS
    sw build --source "$ROOT/.src/woct0rdho" --package sageattention --python "$PY" --torch preinstalled \
      --arch-list '8.0;8.6;8.9;9.0' --compile-cache "$CCACHE" --output-dir "$OUT/wheels-no120" >"$OUT/no120-build.out" 2>"$OUT/no120-build.log"
    echo "build without 12.0: exit $?, $((SECONDS - start)) s"
    good=$(ls "$OUT"/wheels-pipeline/*.whl)
    bad=$(ls "$OUT"/wheels-no120/*.whl)
    for which in good bad; do
      wheel=${!which}
      sw verify --package sageattention --wheels "$wheel" --arch-list "$ARCHS" --python "$PY" --torch preinstalled \
        --runtime-test always >"$OUT/verify-$which.out" 2>"$OUT/verify-$which.log"
      echo "verify $which ($(basename "$wheel")): exit $?"
      tail -25 "$OUT/verify-$which.log"
      report=$(sed -n 's/^report=//p' "$OUT/verify-$which.out")
      [ -n "$report" ] && cp "$report" "$OUT/verify-$which.json"
    done
    ;;
esac
