#!/usr/bin/env bash
# Client instructions per operation on every cloud provider, from one run (issue 19): Nimbus
# (opened with the standard layers: contract, tracing, retry, timeout) against the raw SDK,
# object_store and OpenDAL on the same emulator, under callgrind, which counts the client's
# instructions and repeats to about 1 % where wall time on this 2-core machine varies by
# 15-60 %. Then peak RSS of a 1 GiB stream up and down per implementation (native runs: under
# valgrind the RSS would be valgrind's).
#
#   bench/instructions.sh                       # s3 (s3s-fs), azure (Azurite), gcs (fake-gcs-server), swift
#   CLOUDS="s3 azure" N_SMALL=50 bench/instructions.sh
#
# Environment: N_SMALL (4 KiB puts/gets per run, 100), N_LIST (listings of the 10,000 seeded
# keys, 1), N_STREAM (streams per run, 1), STREAM_MIB (size of a measured stream, 16),
# RSS_MIB (size of the RSS stream, 1024; 0 skips the RSS runs), OPS (a subset of "put get
# get_unseen list put_stream get_stream"; `get` reads one object again and again, `get_unseen`
# reads objects another client wrote, each once), IMPLS (a subset of
# "sdk nimbus object_store opendal"), KEEP=1 (re-measure only CLOUDS x IMPLS x OPS and keep the
# other rows of the last run).
# Output: target/callgrind/instructions.tsv, target/callgrind/rss.tsv and the tables on stdout
# (pasted into docs/benchmarks.md). Swift needs the OpenStack of scripts/openstack (started
# when its variables are unset). Counts are of the client process only, not the server.
set -euo pipefail
cd "$(dirname "$0")/.."
N_SMALL=${N_SMALL:-100}; N_LIST=${N_LIST:-1}; N_STREAM=${N_STREAM:-1}
STREAM_MIB=${STREAM_MIB:-16}; RSS_MIB=${RSS_MIB:-1024}
CLOUDS=${CLOUDS:-s3 azure gcs swift}
OPS=${OPS:-put get get_unseen list put_stream get_stream}
# shellcheck source=bench/clouds.sh
source bench/clouds.sh
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
bench_start
OUT=target/callgrind
mkdir -p "$OUT"
export RUST_BACKTRACE=0
IMPLS=${IMPLS:-sdk nimbus object_store opendal}
if [ "${KEEP:-0}" = 1 ] && [ -f "$OUT/instructions.tsv" ]; then
  rss_ops="put_stream get_stream"; [ "$RSS_MIB" != 0 ] || rss_ops=""
  for f in instructions rss; do
    if [ $f = instructions ]; then ops=$OPS; else ops=$rss_ops; fi
    python3 - "$OUT/$f.tsv" "$CLOUDS" "$IMPLS" "$ops" <<'PY'
import sys
path, clouds, impls, ops = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
lines = open(path).read().splitlines(True)
def measured(l):
    c = l.split("\t")
    return c[0] in clouds and c[1] in impls and c[2] in ops
keep = [lines[0]] + [l for l in lines[1:] if not measured(l)]
open(path, "w").writelines(keep)
PY
  done
else
  printf 'cloud\timpl\top\tN\tIr_per_op\terror\n' > "$OUT/instructions.tsv"
  printf 'cloud\timpl\top\tMiB\tpeak_rss_mib\terror\n' > "$OUT/rss.tsv"
fi
for cloud in $CLOUDS; do
  cloud_endpoint "$cloud"
  bucket="instr-$cloud"
  $BIN --cloud "$cloud" --impl seed --endpoint "$EP" --bucket "$bucket" >/dev/null
  for impl in $IMPLS; do
    if [ "$cloud" = swift ] && [ "$impl" != sdk ] && [ "$impl" != nimbus ]; then continue; fi
    for op in $OPS; do
      case $op in put | get | get_unseen) n=$N_SMALL ;; list) n=$N_LIST ;; *) n=$N_STREAM ;; esac
      f="$OUT/$cloud.$impl.$op.out"
      err=""
      if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured_region \
        --callgrind-out-file="$f" "$BIN" --cloud "$cloud" --impl "$impl" --endpoint "$EP" --bucket "$bucket" \
        --measure "$op" --n "$n" --big-mib "$STREAM_MIB" >/dev/null 2>"$OUT/$cloud.$impl.$op.log"; then
        err=$(grep -v '^==' "$OUT/$cloud.$impl.$op.log" | grep -m1 . | sed 's/==[0-9]*==.*//' | tr '\t' ' ' | cut -c1-160)
      fi
      ir=$(awk '/^totals:/{print $2}' "$f" 2>/dev/null || true)
      per=""
      if [ -z "$err" ] && [ -n "$ir" ]; then per=$(echo "$ir / $n" | bc); fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cloud" "$impl" "$op" "$n" "$per" "$err" | tee -a "$OUT/instructions.tsv"
    done
    if [ "$RSS_MIB" != 0 ]; then
      for op in put_stream get_stream; do
        err=""; rss=""
        if line=$("$BIN" --cloud "$cloud" --impl "$impl" --endpoint "$EP" --bucket "$bucket" --measure "$op" \
          --n 1 --big-mib "$RSS_MIB" 2>"$OUT/$cloud.$impl.$op.rss.log"); then
          rss=$(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_rss_mib"])')
        else
          err=$(grep -m1 . "$OUT/$cloud.$impl.$op.rss.log" | tr '\t' ' ' | cut -c1-160)
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cloud" "$impl" "$op" "$RSS_MIB" "$rss" "$err" | tee -a "$OUT/rss.tsv"
      done
    fi
  done
done
python3 - "$OUT" "$STREAM_MIB" "$RSS_MIB" <<'PY'
import csv, sys
out, stream_mib, rss_mib = sys.argv[1], sys.argv[2], sys.argv[3]
rows = list(csv.DictReader(open(f"{out}/instructions.tsv"), delimiter="\t"))
names = {"s3": "S3 (s3s-fs 0.14.1)", "azure": "Azure Blob (Azurite 3.35.0)", "gcs": "Cloud Storage (fake-gcs-server 1.54.0)", "swift": "Swift 2.30 (OpenStack Zed)"}
ops = {"put": "4 KiB put", "get": "4 KiB get", "get_unseen": "4 KiB get, not seen before", "list": "list 10,000 keys", "put_stream": f"{stream_mib} MiB streamed put", "get_stream": f"{stream_mib} MiB streamed get"}
def cell(r):
    if r is None:
        return "—"
    if not r["Ir_per_op"]:
        return "n/a"
    return f"{int(r['Ir_per_op']):,}"
print("\n| provider | operation | raw SDK (Ir/op) | Nimbus | Nimbus ÷ raw | object_store | OpenDAL |")
print("|---|---|---|---|---|---|---|")
for cloud in dict.fromkeys(r["cloud"] for r in rows):
    for op in ops:
        get = lambda i: next((r for r in rows if r["cloud"] == cloud and r["impl"] == i and r["op"] == op), None)
        raw, nim = get("sdk"), get("nimbus")
        ratio = "—"
        if raw and nim and raw["Ir_per_op"] and nim["Ir_per_op"]:
            ratio = f"**{int(nim['Ir_per_op']) / int(raw['Ir_per_op']):.3f}×**"
        print(f"| {names.get(cloud, cloud)} | {ops[op]} | {cell(raw)} | {cell(nim)} | {ratio} | {cell(get('object_store'))} | {cell(get('opendal'))} |")
errs = [r for r in rows if r["error"]]
if errs:
    print("\nNot measured (the call failed; the error's last line):\n")
    for r in errs:
        print(f"- {r['cloud']} {r['impl']} {r['op']}: {r['error']}")
rss = list(csv.DictReader(open(f"{out}/rss.tsv"), delimiter="\t"))
if rss:
    print(f"\n| provider | implementation | peak RSS, {rss_mib} MiB streamed put (MiB) | peak RSS, {rss_mib} MiB streamed get (MiB) |")
    print("|---|---|---|---|")
    for cloud in dict.fromkeys(r["cloud"] for r in rss):
        for impl in dict.fromkeys(r["impl"] for r in rss if r["cloud"] == cloud):
            v = {r["op"]: (r["peak_rss_mib"] or "n/a") for r in rss if r["cloud"] == cloud and r["impl"] == impl}
            print(f"| {names.get(cloud, cloud)} | {impl} | {v.get('put_stream', '—')} | {v.get('get_stream', '—')} |")
PY
