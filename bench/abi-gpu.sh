#!/usr/bin/env bash
# woct0rdho's abi3 / abi3_stable branch through build and verify by ABI on the GPU machine (H200,
# torch 2.11 preinstalled, no network): the wheel's tag and label, the module x arch table, the
# runtime test, the symbol check against the claimed ABI, and each Python x torch it claims.
#
#   bench/abi-gpu.sh abi3          # .src/woct0rdho-abi3: a cp39/cp310-abi3 wheel, torch>=2.11,<2.12
#   bench/abi-gpu.sh abi3_stable   # .src/woct0rdho-abi3_stable: +cu130torch2.11.0andhigher, torch>=2.11
#
# Sources as bench/sageattention-family.sh has them (git-ignored .src/, plain folders). Needs: npm run
# build (dist/cli/index.mjs), Node 24, ccache, an interpreter with torch (BENCH_PYTHON, default
# /opt/torch/.venv/bin/python3). Pythons without torch there are reported "not tested here".
# Results: $OUT/<branch>-{build,verify}.{out,log} and <branch>-report.json.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BRANCH=${1:?usage: bench/abi-gpu.sh abi3|abi3_stable}
OUT=${OUT:-$ROOT/.tmp/bench-abi}
PY=${BENCH_PYTHON:-/opt/torch/.venv/bin/python3}
SRC=${BENCH_SRC:-$ROOT/.src}/woct0rdho-$BRANCH
export PIP_NO_INDEX=1 CUDA_HOME=${BENCH_CUDA_HOME:-/usr/local/cuda} RUNNER_TEMP=$ROOT/.tmp/abi-temp
mkdir -p "$OUT" "$RUNNER_TEMP"
sw() { node dist/cli/index.mjs "$@"; }

start=$SECONDS
sw build --source "$SRC" --python "$PY" --torch preinstalled --abi auto --arch-list '9.0;12.0' \
  --compile-cache "${BENCH_CCACHE:-$ROOT/.tmp/bench-ccache}" --output-dir "$OUT/wheels-$BRANCH" \
  >"$OUT/$BRANCH-build.out" 2>"$OUT/$BRANCH-build.log"
rc=$?
echo "build: exit $rc, $((SECONDS - start)) s"
grep -E 'ABI|::error::' "$OUT/$BRANCH-build.log" | head -5
[ "$rc" = 0 ] || { tail -40 "$OUT/$BRANCH-build.log"; exit "$rc"; }
wheels=$(sed -n 's/^wheels=//p' "$OUT/$BRANCH-build.out")
archs=$(sed -n 's/^arch-list=//p' "$OUT/$BRANCH-build.out")
echo "wheels: $wheels"

sw verify --wheels "$wheels" --arch-list "$archs" --python "$PY" --torch preinstalled --runtime-test always \
  --test-pythons 3.10,3.11,3.12,3.13,3.14 --test-torches 2.10.0,2.11.0 \
  >"$OUT/$BRANCH-verify.out" 2>"$OUT/$BRANCH-verify.log"
rc=$?
echo "verify: exit $rc"
report=$(sed -n 's/^report=//p' "$OUT/$BRANCH-verify.out")
[ -n "$report" ] && cp "$report" "$OUT/$BRANCH-report.json" && "$PY" - "$OUT/$BRANCH-report.json" <<'PYTHON'
import json, sys
wheel = json.load(open(sys.argv[1]))["wheels"][0]
print(wheel["name"], "passed" if wheel["passed"] else "FAILED", "| ABI claimed:", wheel.get("abi"))
for m in wheel["modules"]:
    print(" ", m["module"], ", ".join(m["code"]))
print("  runtime:", wheel["runtime"])
for c in wheel.get("combinations", []):
    print("  Python", c["python"], "torch", c.get("torch", "-"), c["status"], c.get("error", ""))
for p in wheel["problems"]:
    print("  problem:", p)
PYTHON
exit "$rc"
