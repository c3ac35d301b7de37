#!/usr/bin/env bash
# Instructions per Swift operation under callgrind: Nimbus (standard stack: contract, trace,
# retry, timeout, adapter) vs the raw Swift calls it builds on, against the running
# single-node OpenStack (bash scripts/openstack start). Prints a TSV and the median per row.
# Three rounds of Swift alone; bench/instructions.sh measures every provider in one run.
#   bench/swift-instructions.sh [N_SMALL=200] [N_LIST=5] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
NS=${1:-200}; NL=${2:-5}; ROUNDS=${3:-3}
eval "$(bash scripts/openstack env)"
cargo build -q --release -p nimbus-bench
BIN=target/release/nimbus-bench
mkdir -p target/callgrind
$BIN --cloud swift --impl seed --bucket swbench >/dev/null
printf 'impl\top\tN\tround\tIr_per_op\n' | tee target/callgrind/swift.tsv
for op in put get list; do
  n=$NS; [ "$op" = list ] && n=$NL
  for round in $(seq "$ROUNDS"); do
    for impl in sdk nimbus; do
      f=target/callgrind/swift.$impl.$op.$round.out
      valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured_region \
        --callgrind-out-file="$f" $BIN --cloud swift --impl $impl --bucket swbench --measure $op --n $n \
        >/dev/null 2>target/callgrind/swift.$impl.$op.$round.log
      ir=$(awk '/^totals:/{print $2}' "$f")
      printf '%s\t%s\t%s\t%s\t%.0f\n' $impl $op $n $round "$(echo "$ir / $n" | bc -l)" | tee -a target/callgrind/swift.tsv
    done
  done
done
python3 - <<'PY'
import csv, statistics
rows = list(csv.DictReader(open("target/callgrind/swift.tsv"), delimiter="\t"))
print("\n| op | raw Swift calls (Ir/op) | Nimbus (Ir/op) | Nimbus ÷ raw | spread |")
print("|---|---|---|---|---|")
for op in ("put", "get", "list"):
    v = {i: [float(r["Ir_per_op"]) for r in rows if r["op"] == op and r["impl"] == i] for i in ("sdk", "nimbus")}
    if not v["sdk"] or not v["nimbus"]:
        continue
    m = {i: statistics.median(x) for i, x in v.items()}
    sp = max((max(x) - min(x)) / statistics.median(x) for x in v.values()) * 100
    print(f"| {op} | {m['sdk']:,.0f} | {m['nimbus']:,.0f} | {m['nimbus'] / m['sdk']:.3f}× | ≤ {sp:.1f} % |")
PY
