#!/usr/bin/env bash
# The GPU machine's part of the benchmarks and proofs, one phase per device command (each well
# under 10 minutes). Needs Node 24 and ccache on PATH, dist/ built, the SageAttention sources in
# .src/woct0rdho and .src/thu-ml (kept out of the repository), and for `pipeline` the bundle
# .src/tools/sageattention-pipeline.mjs (node scripts/bundle.mjs bench/sageattention-pipeline.ts).
#
#   bench/sageattention-gpu.sh pipeline   # sagewheels run on woct0rdho, 8.0;8.6;8.9;9.0;12.0, to a loopback release
#   bench/sageattention-gpu.sh no-120     # the step on woct0rdho without 12.0, then verify it against 12.0
#   bench/sageattention-gpu.sh glibc [wheel...]  # each wheel's glibc floor and manylinux policy (default: every wheel under .tmp/gpu)
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

case "${1:?usage: bench/sageattention-gpu.sh pipeline|no-120|glibc}" in
  pipeline)
    # Wheels stay out of $OUT, which comes back to the lead's machine size-limited.
    node .src/tools/sageattention-pipeline.mjs "$ROOT/.src/woct0rdho" "$ARCHS" "$PY" "$CCACHE" "$ROOT/.tmp/gpu" 2>&1 | tee "$OUT/pipeline.log"
    cp "$ROOT/.tmp/gpu/pipeline.json" "$OUT/"
    ;;
  no-120)
    # The pipeline phase verified the 12.0 wheel (runtime test and dispatch); this one has no 12.0 code.
    start=$SECONDS
    sw build --source "$ROOT/.src/woct0rdho" --package sageattention --python "$PY" --torch preinstalled \
      --arch-list '8.0;8.6;8.9;9.0' --compile-cache "$CCACHE" --output-dir "$ROOT/.tmp/gpu/wheels-no120" >"$OUT/no120-build.out" 2>"$OUT/no120-build.log"
    echo "build without 12.0: exit $?, $((SECONDS - start)) s"
    wheel=$(ls "$ROOT"/.tmp/gpu/wheels-no120/*.whl)
    sw verify --package sageattention --wheels "$wheel" --arch-list "$ARCHS" --python "$PY" --torch preinstalled \
      --runtime-test always >"$OUT/verify-no120.out" 2>"$OUT/verify-no120.log"
    code=$?
    echo "verify $(basename "$wheel") against $ARCHS: exit $code (1 expected: no 12.0 code)"
    tail -30 "$OUT/verify-no120.log"
    report=$(sed -n 's/^report=//p' "$OUT/verify-no120.out")
    [ -n "$report" ] && cp "$report" "$OUT/verify-no120.json"
    ;;
  glibc)
    shift
    wheels=("$@")
    [ ${#wheels[@]} -gt 0 ] || mapfile -t wheels < <(find "$ROOT/.tmp/gpu" -name '*.whl' | sort)
    for wheel in "${wheels[@]}"; do
      # No install, no GPU: the floor comes from the ELF files alone.
      sw verify --package sageattention --wheels "$wheel" --arch-list "$ARCHS" --python "$PY" --torch preinstalled \
        --runtime-test never >"$OUT/glibc.out" 2>"$OUT/glibc.log"
      report=$(sed -n 's/^report=//p' "$OUT/glibc.out")
      echo "$(basename "$wheel"): $(node -e 'const r=require(process.argv[1]);console.log(JSON.stringify(r.wheels[0].linux))' "$report")"
      grep -m1 'glibc:' "$OUT/glibc.log"
    done | tee "$OUT/glibc.txt"
    ;;
esac
