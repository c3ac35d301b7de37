#!/usr/bin/env bash
# The embedded-store table of docs/benchmarks.md (issue 19): every row in its own process,
# the order of the stores rotated each round, the median of the rounds printed with the
# spread (max/min - 1) beside it, so the noise is read next to each figure.
#
#   bash bench/local/run.sh [ROUNDS]          # default 3
#   OPS="list:100000" STORES="nimbus-mem os-mem od-mem" bash bench/local/run.sh 1
#
# Builds into $CARGO_TARGET_DIR (default /work/benchtarget), works under $NIMBUS_BENCH_DIR
# (default /tmp: on this machine the same ext4 disk as the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/benchtarget}
export NIMBUS_BENCH_DIR=${NIMBUS_BENCH_DIR:-/tmp}
[ -f "$here/Cargo.lock" ] || cp "$here/../../Cargo.lock" "$here/"
(cd "$here" && cargo build --release -q)
bin=$CARGO_TARGET_DIR/release/nimbus-local-bench
ops=${OPS:-"put4k:2000 get4k:2000 write:256 read:256 list:20000"}
stores=(${STORES:-nimbus-fs nimbus-fs-none os-fs os-fs-fsync od-fs nimbus-mem os-mem od-mem})
log=$(mktemp)
for r in $(seq 1 "$rounds"); do
  for op in $ops; do
    n=${#stores[@]}
    for i in $(seq 0 $((n - 1))); do
      s=${stores[$(( (i + r - 1) % n ))]}
      sync; "$bin" "$s" "${op%%:*}" "${op##*:}" | tee -a "$log"
    done
  done
done
python3 - "$log" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    store, op, val, unit = f[0], f[1], float(f[2]), f[3]
    rss = int(f[-1].split("=")[1]) // 1024
    rows[(op, unit)].append((store, val, rss))
    if op == "list":
        rows[("list-settled", "ms")].append((store, float(f[4].split("=")[1]), rss))
print()
for (op, unit), vals in rows.items():
    by = collections.defaultdict(list)
    for s, v, rss in vals:
        by[s].append((v, rss))
    print(f"{op} ({unit}; median of {len(next(iter(by.values())))}, spread, peak RSS MiB)")
    for s, vs in by.items():
        xs = [v for v, _ in vs]
        m = statistics.median(xs)
        spread = (max(xs) / min(xs) - 1) * 100 if min(xs) > 0 else 0
        print(f"  {s:16} {m:12.1f}  ±{spread:4.0f}%  {max(r for _, r in vs):6d}")
PY
