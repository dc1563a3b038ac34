#!/usr/bin/env bash
# The build step against plain pip on real SageAttention, on a GPU machine (no network needed).
#
#   bench/build-sageattention.sh plain    # plain `pip wheel --no-build-isolation`, woct0rdho, 5 archs
#   bench/build-sageattention.sh step     # the build step cold (empty ccache), then warm from a fresh copy
#   bench/build-sageattention.sh thu-ml   # thu-ml: the refusals of 9.0 with 12.0, then a 9.0 build
#   bench/build-sageattention.sh spaces   # woct0rdho with "9.0 12.0" (spaces) through the step
#   bench/build-sageattention.sh remote   # shared compile cache: cold (empty local cache and Redis),
#                                         # warm-local, warm-remote-only (empty local cache, filled Redis)
#   bench/build-sageattention.sh repro    # two uncached builds in different folders, compared byte for byte
#   bench/build-sageattention.sh runners  # as two runners would: other RUNNER_TEMP, TMPDIR and checkout
#                                         # each, uncached twice, then cold and warm through one cache
#
# Each phase ends well inside 10 minutes. Logs and <phase>.json go to $OUT (default .tmp/bench-build).
# The step runs as GitHub runs it: its bundle, node dist/build/index.mjs, with INPUT_* variables.
# Needs: npm run build (dist/build/index.mjs), node 24 and ccache 4+ on PATH, sources in
# .src/woct0rdho and .src/thu-ml (copies kept out of the repository). remote also needs
# redis-server: bench/carry-tools.sh puts Debian's ccache and redis-server with their libraries in
# .tmp/carry (carry it); its bin goes first on PATH here.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PHASE=${1:?usage: bench/build-sageattention.sh plain|step|thu-ml|spaces|remote|repro|runners}
OUT=${OUT:-$ROOT/.tmp/bench-build}
PY=${BENCH_PYTHON:-/opt/torch/.venv/bin/python3}
export CUDA_HOME=${BENCH_CUDA_HOME:-/usr/local/cuda}
# The GPU machine has no network: say so to pip, or each missing build requirement waits on its retries.
export PIP_NO_INDEX=${PIP_NO_INDEX:-1}
WOCT0RDHO=${BENCH_WOCT0RDHO:-$ROOT/.src/woct0rdho}
THUML=${BENCH_THUML:-$ROOT/.src/thu-ml}
ARCHS=${BENCH_ARCHS:-'8.0;8.6;8.9;9.0;12.0'}
# The fixture on a machine without torch: BENCH_PACKAGE=generic BENCH_TORCH=none BENCH_WOCT0RDHO=test/fixtures/cudapkg.
PACKAGE=${BENCH_PACKAGE:-sageattention}
TORCH=${BENCH_TORCH:-preinstalled}
# Outside $OUT, which each device run empties: the cache must outlive one phase.
CCACHE=${BENCH_CCACHE:-$ROOT/.tmp/bench-ccache}
WORK=$ROOT/.tmp/bench-work
mkdir -p "$OUT" "$WORK"
[ -d "$ROOT/.tmp/carry/bin" ] && export PATH="$ROOT/.tmp/carry/bin:$PATH"

now() { date +%s.%N; }
elapsed() { "$PY" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$1" "$2"; }

# A fresh copy of a source tree, as a new checkout would be (no build/ from an earlier run).
fresh_copy() {
  local dest=$WORK/$2
  rm -rf "$dest" && cp -a "$1" "$dest" && rm -rf "$dest/build" "$dest"/*.egg-info
  echo "$dest"
}

# The SASS targets in every extension module of a wheel.
wheel_archs() {
  local wheel=$1 dir=$WORK/unzipped
  rm -rf "$dir" && mkdir -p "$dir" && "$PY" -m zipfile -e "$wheel" "$dir"
  for so in "$dir"/*/*.so; do
    if command -v "$CUDA_HOME/bin/cuobjdump" >/dev/null; then
      echo "$(basename "$so"): $("$CUDA_HOME/bin/cuobjdump" --list-elf "$so" | grep -o 'sm_[0-9]*[af]\?' | sort -u | tr '\n' ' ')"
    else
      echo "$(basename "$so"): $(grep -ao -- '-arch sm_[0-9]*[af]\?' "$so" | sort -u | tr '\n' ' ')"
    fi
  done
}

# The slowest objects of a ninja build (the step's summary shows its own).
ninja_slowest() {
  "$PY" - "$1" <<'PYTHON'
import pathlib, sys
times = []
for log in pathlib.Path(sys.argv[1]).rglob(".ninja_log"):
    for line in log.read_text().splitlines():
        cols = line.split("\t")
        if len(cols) >= 4 and cols[0].isdigit():
            times.append(((int(cols[1]) - int(cols[0])) / 1000, pathlib.Path(cols[3]).name))
print(", ".join(f"{name} {secs:.0f} s" for secs, name in sorted(times, reverse=True)[:5]))
PYTHON
}

# The build step through its bundle: name=value pairs become INPUT_<NAME> (hyphens kept, as the runner does).
# On the runner itself (the GPU machine has no container engine) unless a pair says otherwise;
# STEP_TEMP and STEP_TMPDIR stand for another runner's RUNNER_TEMP and TMPDIR.
run_step() {
  local name=$1; shift
  local -a inputs=(INPUT_CONTAINER=none)
  for pair in "$@"; do inputs+=("INPUT_$(echo "${pair%%=*}" | tr '[:lower:]' '[:upper:]')=${pair#*=}"); done
  : >"$OUT/$name-outputs.txt"; : >"$OUT/$name-summary.md"
  local start end
  start=$(now)
  env "${inputs[@]}" GITHUB_OUTPUT="$OUT/$name-outputs.txt" GITHUB_STEP_SUMMARY="$OUT/$name-summary.md" \
    RUNNER_TEMP="${STEP_TEMP:-$WORK}" TMPDIR="${STEP_TMPDIR:-${TMPDIR:-/tmp}}" node dist/build/index.mjs >"$OUT/$name.log" 2>&1
  local rc=$?
  end=$(now)
  echo "$name: exit $rc, $(elapsed "$start" "$end") s wall ($(grep -A2 '^build-seconds<<' "$OUT/$name-outputs.txt" | sed -n 2p) s in pip wheel)"
  grep '^::error::' "$OUT/$name.log" || true
  STEP_RC=$rc STEP_WALL=$(elapsed "$start" "$end")
}

# Every file of two wheels compared; differing ones kept under $OUT/repro-diff; the last line says.
compare_wheels() {
  OUT=$OUT "$PY" - "$1" "$2" <<'PYTHON'
import hashlib, os, sys, zipfile
a, b = sys.argv[1], sys.argv[2]
for w in (a, b):
    print(hashlib.sha256(open(w, "rb").read()).hexdigest(), w)
za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
names = sorted(set(za.namelist()) | set(zb.namelist()))
same = True
for name in names:
    da = za.read(name) if name in za.namelist() else None
    db = zb.read(name) if name in zb.namelist() else None
    if da == db:
        continue
    same = False
    if da is None or db is None:
        print(f"{name}: only in {'the second' if da is None else 'the first'}")
        continue
    for side, data in (("a", da), ("b", db)):  # kept for a closer look (readelf, cuobjdump)
        keep = os.path.join(os.environ["OUT"], "repro-diff", side, os.path.basename(name))
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        open(keep, "wb").write(data)
    diff = sum(x != y for x, y in zip(da, db)) + abs(len(da) - len(db))
    first = next((i for i, (x, y) in enumerate(zip(da, db)) if x != y), min(len(da), len(db)))
    print(f"{name}: {diff} of {max(len(da), len(db))} bytes differ, the first at offset {first}")
print("identical" if same and open(a, "rb").read() == open(b, "rb").read() else "DIFFERENT")
PYTHON
}

ratio() { "$PY" -c "import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 3))" "$1" "$2"; }
pip_seconds() { grep -A2 '^build-seconds<<' "$OUT/$1-outputs.txt" | sed -n 2p; }
cache_cell() { grep -o '[0-9]* hits[^|]*misses[^|]*' "$OUT/$1-summary.md" | head -1 | sed 's/ *$//'; }

# A Redis of our own on a free loopback port, gone when the script ends.
start_redis() {
  REDIS_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
  REDIS_PID=$!
  trap 'kill "$REDIS_PID" 2>/dev/null' EXIT
  for _ in $(seq 100); do
    "$PY" -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); s.sendall(b"PING\r\n"); sys.exit(s.recv(7) != b"+PONG\r\n")' "$REDIS_PORT" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "redis-server did not start: $(cat "$OUT/redis.log")" >&2
  exit 1
}
redis_keys() { "$PY" -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); s.sendall(b"DBSIZE\r\n"); print(s.recv(64).decode().strip(":\r\n"))' "$REDIS_PORT"; }

record() { "$PY" -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:]), indent=2))' "$@" >"$OUT/$PHASE.json"; cat "$OUT/$PHASE.json"; }

machine() {
  echo "cores $(nproc), memory $(free -g | awk '/Mem:/ {print $2}') GiB, $("$CUDA_HOME/bin/nvcc" --version | grep release)"
  echo "$(ccache --version | head -1), node $(node --version), $("$PY" -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__)')"
  nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1
}

[ -f dist/build/index.mjs ] || { echo 'dist/build/index.mjs is missing: run npm run build' >&2; exit 1; }
machine | tee "$OUT/machine.txt"
step_common=(package=$PACKAGE "python=$PY" torch=$TORCH jobs=auto "compile-cache=$CCACHE")

case "$PHASE" in
  plain)
    src=$(fresh_copy "$WOCT0RDHO" plain-woct0rdho)
    start=$(now)
    (cd "$src" && env TORCH_CUDA_ARCH_LIST="$ARCHS" "$PY" -m pip wheel --no-build-isolation --no-deps -v -w "$OUT/wheels-plain" .) >"$OUT/plain.log" 2>&1
    rc=$?
    end=$(now)
    echo "plain: exit $rc, $(elapsed "$start" "$end") s"
    wheel_archs "$OUT"/wheels-plain/*.whl | tee "$OUT/plain-archs.txt"
    record phase=plain source=woct0rdho "archs=$ARCHS" "exit=$rc" "seconds=$(elapsed "$start" "$end")" "slowest=$(ninja_slowest "$src/build")"
    ;;
  step)
    rm -rf "$CCACHE"
    run_step cold source="$(fresh_copy "$WOCT0RDHO" cold-woct0rdho)" "arch-list=$ARCHS" "output-dir=$OUT/wheels-cold" "${step_common[@]}"
    cold_rc=$STEP_RC cold_wall=$STEP_WALL
    wheel_archs "$OUT"/wheels-cold/*.whl | tee "$OUT/cold-archs.txt"
    # A rebuild from a fresh checkout in another folder, with the cache the cold build filled.
    run_step warm source="$(fresh_copy "$WOCT0RDHO" warm-woct0rdho-fresh)" "arch-list=$ARCHS" "output-dir=$OUT/wheels-warm" "${step_common[@]}"
    record phase=step "archs=$ARCHS" "cold_exit=$cold_rc" "cold_wall_seconds=$cold_wall" "warm_exit=$STEP_RC" "warm_wall_seconds=$STEP_WALL" \
      "cold_cache=$(grep -o '[0-9]* hits, [0-9]* misses[^|]*' "$OUT/cold-summary.md" | head -1)" \
      "warm_cache=$(grep -o '[0-9]* hits, [0-9]* misses[^|]*' "$OUT/warm-summary.md" | head -1)" \
      "cold_slowest=$(grep -o 'slowest objects: [^<]*' "$OUT/cold-summary.md")"
    ;;
  thu-ml)
    # Both spellings reach setup.py as "9.0;12.0", which thu-ml main cannot build: refused before building.
    run_step thuml-spaces source="$THUML" "arch-list=9.0 12.0" "output-dir=$OUT/wheels-thuml" "${step_common[@]}"
    spaces_rc=$STEP_RC
    run_step thuml-five source="$THUML" "arch-list=$ARCHS" "output-dir=$OUT/wheels-thuml" "${step_common[@]}"
    five_rc=$STEP_RC
    # The remedy the refusal names: 9.0 in a build of its own.
    run_step thuml-90 source="$THUML" arch-list=9.0 "output-dir=$OUT/wheels-thuml" "${step_common[@]}"
    wheel_archs "$OUT"/wheels-thuml/*.whl | tee "$OUT/thuml-90-archs.txt"
    record phase=thu-ml "spaces_exit=$spaces_rc" "five_archs_exit=$five_rc" "only_90_exit=$STEP_RC" "only_90_wall_seconds=$STEP_WALL"
    ;;
  spaces)
    run_step woct0rdho-spaces source="$(fresh_copy "$WOCT0RDHO" spaces-woct0rdho)" "arch-list=9.0 12.0" "output-dir=$OUT/wheels-spaces" "${step_common[@]}"
    wheel_archs "$OUT"/wheels-spaces/*.whl | tee "$OUT/spaces-archs.txt"
    record phase=spaces "exit=$STEP_RC" "wall_seconds=$STEP_WALL"
    ;;
  remote)
    # Three runners' worth of builds against one Redis, each from a fresh copy in its own folder:
    # cold (empty local cache, empty Redis), warm-local (the cold build's local cache), and
    # warm-remote-only (an empty local cache of its own: every hit comes from Redis).
    start_redis
    url=redis://127.0.0.1:$REDIS_PORT
    redis-server --version | tee -a "$OUT/machine.txt"
    rm -rf "$CCACHE-runner-a" "$CCACHE-runner-b"
    remote_common=(package=$PACKAGE "python=$PY" torch=$TORCH jobs=auto "arch-list=$ARCHS" "compile-cache-url=$url")
    run_step remote-cold source="$(fresh_copy "$WOCT0RDHO" remote-cold)" "compile-cache=$CCACHE-runner-a" "output-dir=$OUT/wheels-remote-cold" "${remote_common[@]}"
    cold_rc=$STEP_RC cold_wall=$STEP_WALL
    keys=$(redis_keys)
    run_step remote-warm-local source="$(fresh_copy "$WOCT0RDHO" remote-warm-local)" "compile-cache=$CCACHE-runner-a" "output-dir=$OUT/wheels-remote-warm-local" "${remote_common[@]}"
    local_rc=$STEP_RC local_wall=$STEP_WALL
    run_step remote-warm-remote source="$(fresh_copy "$WOCT0RDHO" remote-warm-remote)" "compile-cache=$CCACHE-runner-b" "output-dir=$OUT/wheels-remote-warm-remote" "${remote_common[@]}"
    wheel_archs "$OUT"/wheels-remote-warm-remote/*.whl | tee "$OUT/remote-warm-remote-archs.txt"
    record phase=remote "archs=$ARCHS" "redis_keys_after_cold=$keys" \
      "cold_exit=$cold_rc" "cold_wall_seconds=$cold_wall" "cold_pip_seconds=$(pip_seconds remote-cold)" "cold_cache=$(cache_cell remote-cold)" \
      "warm_local_exit=$local_rc" "warm_local_wall_seconds=$local_wall" "warm_local_pip_seconds=$(pip_seconds remote-warm-local)" "warm_local_cache=$(cache_cell remote-warm-local)" \
      "warm_local_ratio=$(ratio "$local_wall" "$cold_wall")" \
      "warm_remote_exit=$STEP_RC" "warm_remote_wall_seconds=$STEP_WALL" "warm_remote_pip_seconds=$(pip_seconds remote-warm-remote)" "warm_remote_cache=$(cache_cell remote-warm-remote)" \
      "warm_remote_ratio=$(ratio "$STEP_WALL" "$cold_wall")"
    ;;
  repro)
    # The same source built twice, uncached, from copies in different folders; every file of the
    # two wheels compared (the step's reproducible: check does the same and stops at the first).
    run_step repro-a source="$(fresh_copy "$WOCT0RDHO" repro-a)" "arch-list=$ARCHS" compile-cache=off reproducible=true "output-dir=$OUT/wheels-repro-a" package=$PACKAGE "python=$PY" torch=$TORCH jobs=auto
    a_rc=$STEP_RC a_wall=$STEP_WALL
    mkdir -p "$WORK/elsewhere"
    run_step repro-b source="$(fresh_copy "$WOCT0RDHO" elsewhere/repro-b)" "arch-list=$ARCHS" compile-cache=off reproducible=true "output-dir=$OUT/wheels-repro-b" package=$PACKAGE "python=$PY" torch=$TORCH jobs=auto
    compare_wheels "$OUT"/wheels-repro-a/*.whl "$OUT"/wheels-repro-b/*.whl | tee "$OUT/repro-compare.txt"
    record phase=repro "archs=$ARCHS" "a_exit=$a_rc" "a_wall_seconds=$a_wall" "b_exit=$STEP_RC" "b_wall_seconds=$STEP_WALL" "result=$(tail -1 "$OUT/repro-compare.txt")"
    ;;
  runners)
    # Four runners, each with its own RUNNER_TEMP, TMPDIR and checkout folder: two uncached builds,
    # then a cold build that fills a compile cache and a warm one that reads it.
    cache=$WORK/runners-ccache
    rm -rf "$cache"
    for r in a b c d; do
      mkdir -p "$WORK/runner-$r/_work/_temp" "$WORK/runner-$r/tmp" "$WORK/runner-$r/checkout"
      src=$(fresh_copy "$WOCT0RDHO" "runner-$r/checkout/SageAttention")
      case $r in a | b) cc=off ;; *) cc=$cache ;; esac
      STEP_TEMP=$WORK/runner-$r/_work/_temp STEP_TMPDIR=$WORK/runner-$r/tmp \
        run_step "runner-$r" "source=$src" "arch-list=$ARCHS" "compile-cache=$cc" reproducible=true \
        "output-dir=$OUT/wheels-runner-$r" package=$PACKAGE "python=$PY" torch=$TORCH jobs=auto
      eval "rc_$r=\$STEP_RC wall_$r=\$STEP_WALL"
    done
    for r in b c d; do
      echo "a vs $r: $(compare_wheels "$OUT"/wheels-runner-a/*.whl "$OUT"/wheels-runner-$r/*.whl | tail -1)"
    done | tee "$OUT/runners-compare.txt"
    sha256sum "$OUT"/wheels-runner-*/*.whl | tee -a "$OUT/runners-compare.txt"
    record phase=runners "archs=$ARCHS" "a_exit=$rc_a" "a_wall_seconds=$wall_a" "b_exit=$rc_b" "b_wall_seconds=$wall_b" \
      "cold_exit=$rc_c" "cold_wall_seconds=$wall_c" "cold_cache=$(cache_cell runner-c)" \
      "warm_exit=$rc_d" "warm_wall_seconds=$wall_d" "warm_cache=$(cache_cell runner-d)" \
      "result=$(grep -c identical "$OUT/runners-compare.txt") of 3 identical to a"
    ;;
  *)
    echo "unknown phase $PHASE: plain, step, thu-ml, spaces, remote, repro or runners" >&2
    exit 2
    ;;
esac
