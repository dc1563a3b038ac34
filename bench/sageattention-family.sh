#!/usr/bin/env bash
# Every SageAttention variant through the CLI on the GPU machine (H200, torch preinstalled, no
# network): build, then verify with the arch list build resolved (runtime test where the wheel has
# code for the GPU there: 9.0). One variant per device command, each well under 10 minutes.
#
#   bench/sageattention-family.sh thu-ml-auto          # thu-ml main, arch-list auto (routed per module)
#   bench/sageattention-family.sh thu-ml-90-120        # thu-ml main, "9.0 12.0"
#   bench/sageattention-family.sh woct0rdho-main       # woct0rdho main, 8.0;8.6;8.9;9.0;12.0
#   bench/sageattention-family.sh woct0rdho-abi3       # woct0rdho abi3, 9.0;12.0 (torch.ops dispatch)
#   bench/sageattention-family.sh woct0rdho-abi3-stable  # woct0rdho abi3_stable, 9.0;12.0 (-DUSE_CUDA on Linux)
#   bench/sageattention-family.sh sageattn3-thu-ml     # thu-ml sageattention3_blackwell/, 12.0 (no Blackwell here)
#   bench/sageattention-family.sh sageattn3-woct0rdho  # woct0rdho sageattention3_blackwell/, 12.0
#   bench/sageattention-family.sh table                # the markdown rows for docs/benchmarks.md from every <variant>.json
#
# Sources (copies kept out of the repository; git-ignored .src/), all plain folders, no network:
#   .src/thu-ml                  thu-ml/SageAttention main (with sageattention3_blackwell/)
#   .src/woct0rdho               woct0rdho/SageAttention main (with sageattention3_blackwell/; its cutlass
#                                submodule may be empty: .src/cutlass is then linked in)
#   .src/woct0rdho-abi3          woct0rdho/SageAttention branch abi3
#   .src/woct0rdho-abi3_stable   woct0rdho/SageAttention branch abi3_stable
#   .src/cutlass                 a NVIDIA/cutlass checkout (include/cutlass/cutlass.h), for sageattn3
# e.g. on a machine with network: git clone https://github.com/thu-ml/SageAttention .src/thu-ml;
# git clone -b abi3 https://github.com/woct0rdho/SageAttention .src/woct0rdho-abi3; ...;
# git clone --depth 1 https://github.com/NVIDIA/cutlass .src/cutlass
# Needs: npm run build (dist/cli/index.mjs), Node 24 and ccache 4+ on PATH, an interpreter with torch
# (BENCH_PYTHON, default /opt/torch/.venv/bin/python3). Results: $OUT/<variant>.json and logs.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VARIANT=${1:?usage: bench/sageattention-family.sh <variant>|table}
OUT=${OUT:-$ROOT/.tmp/bench-family}
PY=${BENCH_PYTHON:-/opt/torch/.venv/bin/python3}
CCACHE=${BENCH_CCACHE:-$ROOT/.tmp/bench-ccache}
SRC=${BENCH_SRC:-$ROOT/.src}
mkdir -p "$OUT"
export PIP_NO_INDEX=1 CUDA_HOME=${BENCH_CUDA_HOME:-/usr/local/cuda} RUNNER_TEMP=$ROOT/.tmp/family-temp
mkdir -p "$RUNNER_TEMP"
sw() { node dist/cli/index.mjs "$@"; }

# build then verify one variant; the rest of the arguments go to build.
family() {
  local name=$1 arch_list=$2; shift 2
  local wheels=$ROOT/.tmp/family/$name
  rm -rf "$wheels"
  local start=$SECONDS
  sw build --python "$PY" --torch preinstalled --compile-cache "$CCACHE" --output-dir "$wheels" \
    --arch-list "$arch_list" "$@" >"$OUT/$name-build.out" 2>"$OUT/$name-build.log"
  local build_rc=$? build_wall=$((SECONDS - start))
  echo "$name build: exit $build_rc, $build_wall s"
  grep -E '::error::|^error|package: auto|sagewheels|nvcc gets|CUTLASS|presents|get_device_capability|routing|gives each' "$OUT/$name-build.log" | head -20
  local built archs verify_rc=none report=''
  built=$(sed -n 's/^wheels=//p' "$OUT/$name-build.out")
  archs=$(sed -n 's/^arch-list=//p' "$OUT/$name-build.out")
  if [ "$build_rc" = 0 ]; then
    local runtime=auto
    case ";$archs;" in *";9.0;"*) runtime=always ;; esac
    sw verify --wheels "$built" --arch-list "$archs" --python "$PY" --torch preinstalled --runtime-test "$runtime" \
      >"$OUT/$name-verify.out" 2>"$OUT/$name-verify.log"
    verify_rc=$?
    echo "$name verify ($archs, runtime-test $runtime): exit $verify_rc"
    report=$(sed -n 's/^report=//p' "$OUT/$name-verify.out")
    [ -n "$report" ] && cp "$report" "$OUT/$name-report.json"
  else
    tail -40 "$OUT/$name-build.log"
  fi
  "$PY" - "$OUT/$name.json" "$name" "$build_rc" "$build_wall" "$(sed -n 's/^build-seconds=//p' "$OUT/$name-build.out")" \
    "$archs" "$verify_rc" "$OUT/$name-report.json" <<'PYTHON'
import json, os, sys
out, name, build_rc, wall, pip_seconds, archs, verify_rc, report_file = sys.argv[1:]
result = {"variant": name, "build_exit": int(build_rc), "build_wall_seconds": int(wall),
          "pip_wheel_seconds": pip_seconds, "arch_list": archs, "verify_exit": verify_rc}
if verify_rc != "none" and os.path.exists(report_file):
    report = json.load(open(report_file))
    wheel = report["wheels"][0]
    result.update(wheel=wheel["name"], package=wheel.get("package"), passed=wheel["passed"], problems=wheel["problems"],
                  modules={m["module"]: m["code"] for m in wheel["modules"]},
                  dispatch=[{k: d.get(k) for k in ("capability", "function", "modules", "namespaces", "passed")} for d in wheel["dispatch"]],
                  runtime=wheel["runtime"])
json.dump(result, open(out, "w"), indent=2)
print(json.dumps(result, indent=2))
PYTHON
}

case "$VARIANT" in
  thu-ml-auto) family thu-ml-auto auto --source "$SRC/thu-ml" ;;
  thu-ml-90-120) family thu-ml-90-120 '9.0 12.0' --source "$SRC/thu-ml" ;;
  woct0rdho-main) family woct0rdho-main '8.0;8.6;8.9;9.0;12.0' --source "$SRC/woct0rdho" ;;
  woct0rdho-abi3) family woct0rdho-abi3 '9.0;12.0' --source "$SRC/woct0rdho-abi3" ;;
  woct0rdho-abi3-stable) family woct0rdho-abi3-stable '9.0;12.0' --source "$SRC/woct0rdho-abi3_stable" ;;
  sageattn3-thu-ml)
    family sageattn3-thu-ml 12.0 --package sageattn3 --source "$SRC/thu-ml" --subdirectory sageattention3_blackwell \
      --cutlass "$SRC/cutlass"
    ;;
  sageattn3-woct0rdho)
    family sageattn3-woct0rdho 12.0 --package sageattn3 --source "$SRC/woct0rdho" --subdirectory sageattention3_blackwell \
      --cutlass "$SRC/cutlass"
    ;;
  table)
    "$PY" - "$OUT" <<'PYTHON'
import glob, json, os, sys
print("| variant | arch-list | build | verify | modules x archs | runtime |")
print("|---|---|---|---|---|---|")
for file in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    if file.endswith("-report.json"):
        continue
    r = json.load(open(file))
    modules = "; ".join(f"{m.split('.')[-1]} {' '.join(c)}" for m, c in r.get("modules", {}).items())
    rt = r.get("runtime", {})
    runtime = (f"{rt.get('gpu')} cosine {rt['cosine']:.4f}" if rt.get("cosine") is not None
               else f"{rt.get('status')}: {rt.get('reason') or rt.get('error') or ''}") if rt else "-"
    build = f"exit {r['build_exit']}, {r['pip_wheel_seconds'] or r['build_wall_seconds']} s"
    verify = "passed" if r.get("passed") else f"exit {r['verify_exit']}: {'; '.join(r.get('problems', []))}"
    print(f"| {r['variant']} | {r['arch_list']} | {build} | {verify} | {modules} | {runtime} |")
PYTHON
    ;;
  *)
    echo "unknown variant $VARIANT" >&2
    exit 2
    ;;
esac
