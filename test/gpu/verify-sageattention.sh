#!/usr/bin/env bash
# The verify step against real SageAttention wheels, on the GPU machine (H100/H200, torch
# 2.11+cu130 preinstalled, no network). Run by the lead; it needs Node 24 and dist/ (npm run build).
#
# What it must show (it exits non-zero otherwise):
#   1. A wheel built with 12.0 (woct0rdho's fork, TORCH_CUDA_ARCH_LIST "9.0;12.0") passes verify
#      with the runtime test on this GPU: sageattn matches PyTorch SDPA with cosine >= 0.99, and
#      with the capability reported as 12.0 sageattn picks a path whose modules carry sm_120 code.
#   2. A wheel built without 12.0 code (thu-ml's setup.py with "9.0 12.0": sm_90a only) fails verify,
#      its dispatch check on 12.0 failing; the 9.0 runtime test still passes.
#
# Usage:
#   test/gpu/verify-sageattention.sh GOOD.whl BAD.whl
#   test/gpu/verify-sageattention.sh --build WOCT0RDHO_SOURCE THU_ML_SOURCE   # builds both first
# Environment: PYTHON (default /opt/torch/.venv/bin/python3, the interpreter with torch),
# CUDA_HOME (/usr/local/cuda-13.0), MAX_JOBS (16), OUT (a folder for wheels and reports).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/opt/torch/.venv/bin/python3}
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda-13.0}
export PATH="$CUDA_HOME/bin:$PATH"
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

build() { # source, TORCH_CUDA_ARCH_LIST, destination
  local work
  work=$(mktemp -d)
  cp -r "$1/." "$work/"
  local start=$SECONDS
  (cd "$work" && TORCH_CUDA_ARCH_LIST="$2" MAX_JOBS=${MAX_JOBS:-16} "$PYTHON" -m pip wheel -q --no-build-isolation --no-deps -w "$3" .)
  echo "built $(ls "$3"/*.whl) from $1 with \"$2\" in $((SECONDS - start)) s"
}

if [ "${1:-}" = --build ]; then
  build "$2" '9.0;12.0' "$OUT/good"
  build "$3" '9.0 12.0' "$OUT/bad"
  good=$(ls "$OUT"/good/*.whl)
  bad=$(ls "$OUT"/bad/*.whl)
else
  good=$1
  bad=$2
fi

verify() { # name, wheel: runs the action bundle as GitHub would, inputs in INPUT_* variables
  local dir="$OUT/$1"
  mkdir -p "$dir/tmp"
  : >"$dir/summary.md"
  : >"$dir/outputs"
  local start=$SECONDS code=0
  env "INPUT_PACKAGE=sageattention" "INPUT_WHEELS=$2" "INPUT_ARCH-LIST=9.0;12.0" "INPUT_PYTHON=$PYTHON" \
    "INPUT_TORCH=preinstalled" "INPUT_RUNTIME-TEST=always" RUNNER_TEMP="$dir/tmp" \
    GITHUB_OUTPUT="$dir/outputs" GITHUB_STEP_SUMMARY="$dir/summary.md" node dist/verify/index.mjs || code=$?
  echo "verify $1: exit $code in $((SECONDS - start)) s"
  cp "$dir"/tmp/sagewheels-verify-*/report.json "$dir/report.json"
  cat "$dir/summary.md"
  return 0
}

verify good "$good"
verify bad "$bad"

"$PYTHON" - "$OUT/good/report.json" "$OUT/bad/report.json" <<'PY'
import json, sys
good, bad = (json.load(open(p)) for p in sys.argv[1:])
g, b = good["wheels"][0], bad["wheels"][0]
d12 = lambda w: next(d for d in w["dispatch"] if d["capability"] == "12.0")
checks = {
    "good wheel passes": good["passed"],
    "good: runtime test ran on the GPU": g["runtime"]["status"] == "passed",
    "good: cosine >= 0.99": g["runtime"].get("cosine", 0) >= 0.99,
    "good: 12.0 dispatches to modules with sm_120 code": d12(g)["passed"],
    "bad wheel fails": not bad["passed"],
    "bad: the 12.0 dispatch check fails": not d12(b)["passed"],
    "bad: its 9.0 runtime test still passes": b["runtime"]["status"] == "passed",
}
print(json.dumps({"gpu": g["runtime"].get("gpu"), "cosine": g["runtime"].get("cosine"),
                  "good dispatch 12.0": d12(g), "bad dispatch 12.0": d12(b), "bad problems": b["problems"]}, indent=2))
for name, ok in checks.items():
    print(("PASS " if ok else "FAIL ") + name)
sys.exit(0 if all(checks.values()) else 1)
PY
