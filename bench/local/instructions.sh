#!/usr/bin/env bash
# Instructions per 4 KiB put and get of every store of the embedded-store table, under
# callgrind: deterministic where wall time on this 2-core machine is not. Each figure is the
# difference of two runs of different lengths divided by the difference in operations, so
# start-up, the runtime and the store's opening cancel out. `get4k N` puts N objects and gets
# them, so a get is its figure minus the put's. Kernel work (fsync, rename) is not counted:
# the filesystem rows measure the library, not the disk.
#
#   bash bench/local/instructions.sh            # ~6 min on this machine
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/benchtarget}
export NIMBUS_BENCH_DIR=${NIMBUS_BENCH_DIR:-/tmp}
[ -f "$here/Cargo.lock" ] || cp "$here/../../Cargo.lock" "$here/"
(cd "$here" && cargo build --release -q)
bin=$CARGO_TARGET_DIR/release/nimbus-local-bench
n1=${N1:-100}
n2=${N2:-300}
ir() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" "$3" > /dev/null 2>&1
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
  rm -f "$out"
}
printf '%-16s %14s %14s\n' store "put (Ir/op)" "get (Ir/op)"
for s in ${STORES:-nimbus-fs-none os-fs od-fs nimbus-mem os-mem od-mem}; do
  p1=$(ir "$s" put4k "$n1"); p2=$(ir "$s" put4k "$n2")
  g1=$(ir "$s" get4k "$n1"); g2=$(ir "$s" get4k "$n2")
  put=$(( (p2 - p1) / (n2 - n1) ))
  get=$(( (g2 - g1) / (n2 - n1) - put ))
  printf '%-16s %14d %14d\n' "$s" "$put" "$get"
done
