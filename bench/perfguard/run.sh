#!/usr/bin/env bash
# Runs every (variant, mode, op) once under callgrind; prints Ir per op.
# usage: ENDPOINT=http://127.0.0.1:5123 ./run.sh   (after `perfguard-after seed $ENDPOINT`)
set -euo pipefail
cd "$(dirname "$0")"
E=${ENDPOINT:?set ENDPOINT}
B=${CARGO_TARGET_DIR:-target}/release
NSMALL=${NSMALL:-200}
NLIST=${NLIST:-20}
mkdir -p out
run() { # variant mode op n
  local f=out/callgrind.$1.$2.$3.out
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect=pg_measured_region \
    --callgrind-out-file="$f" "$B/perfguard-$1" "$2" "$3" "$4" "$E" > /dev/null 2>out/valgrind.$1.$2.$3.log
  local ir; ir=$(awk '/^totals:/{print $2}' "$f")
  printf '%s\t%s\t%s\t%s\t%s\t%.0f\n' "$1" "$2" "$3" "$4" "$ir" "$(echo "$ir / $4" | bc -l)"
}
printf 'variant\tmode\top\tN\tIr_total\tIr_per_op\n'
for op in put get list; do
  n=$NSMALL; [ "$op" = list ] && n=$NLIST
  run after raw $op $n
  run before nimbus-bare $op $n
  run after nimbus $op $n
  run after nimbus-bare $op $n
  run before raw $op $n
done
