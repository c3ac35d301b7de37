#!/usr/bin/env bash
# Listing 100,000 keys as a stream on every cloud provider, with the process's peak RSS beside
# the same listing of 10,000 keys (issue 19: memory must stay flat as the listing grows; the
# time must grow linearly). Native release runs, one process per row; wall times are one run
# each on a shared 2-core machine, so read them as ±20 %.
#
#   bench/listing.sh                      # s3 (s3s-fs), azure (Azurite), gcs (fake-gcs-server), swift
#   CLOUDS="s3 gcs" KEYS=50000 SEED=0 bench/listing.sh
#
# Environment: CLOUDS, IMPLS (a subset of "nimbus sdk object_store opendal"), KEYS (100000),
# SEED=0 (the KEYS keys are already on the servers: skip seeding, which takes minutes).
# Output: target/listing/listing.tsv and a table on stdout (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
CLOUDS=${CLOUDS:-s3 azure gcs swift}
IMPLS=${IMPLS:-nimbus sdk object_store opendal}
KEYS=${KEYS:-100000}
# shellcheck source=bench/clouds.sh
source bench/clouds.sh
bench_start
OUT=target/listing
mkdir -p "$OUT"
export RUST_BACKTRACE=0
printf 'cloud\timpl\tkeys\tsecs\tpeak_rss_mib\terror\n' > "$OUT/listing.tsv"
for cloud in $CLOUDS; do
  cloud_endpoint "$cloud"
  bucket="instr-$cloud"
  $BIN --cloud "$cloud" --impl seed --endpoint "$EP" --bucket "$bucket" >/dev/null
  if [ "${SEED:-1}" != 0 ]; then
    start=$(date +%s)
    $BIN --cloud "$cloud" --impl seed --endpoint "$EP" --bucket "$bucket" --keys "$KEYS" >/dev/null
    echo "seeded $KEYS keys on $cloud in $(( $(date +%s) - start )) s" >&2
  fi
  for impl in $IMPLS; do
    if [ "$cloud" = swift ] && [ "$impl" != sdk ] && [ "$impl" != nimbus ]; then continue; fi
    for keys in 10000 "$KEYS"; do
      err=""; secs=""; rss=""
      if line=$("$BIN" --cloud "$cloud" --impl "$impl" --endpoint "$EP" --bucket "$bucket" --measure list \
        --n 1 --keys "$keys" 2>"$OUT/$cloud.$impl.$keys.log"); then
        read -r secs rss < <(echo "$line" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["secs"], j["peak_rss_mib"])')
      else
        err=$(grep -m1 . "$OUT/$cloud.$impl.$keys.log" | tr '\t' ' ' | cut -c1-160)
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cloud" "$impl" "$keys" "$secs" "$rss" "$err" | tee -a "$OUT/listing.tsv"
    done
  done
done
python3 - "$OUT/listing.tsv" "$KEYS" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
big = sys.argv[2]
names = {"s3": "S3 (s3s-fs)", "azure": "Azure Blob (Azurite)", "gcs": "Cloud Storage (fake-gcs-server)", "swift": "Swift (OpenStack)"}
print(f"\n| provider | implementation | 10,000 keys: s, peak RSS MiB | {int(big):,} keys: s, peak RSS MiB | time ratio | RSS growth |")
print("|---|---|---|---|---|---|")
for cloud in dict.fromkeys(r["cloud"] for r in rows):
    for impl in dict.fromkeys(r["impl"] for r in rows if r["cloud"] == cloud):
        small = next(r for r in rows if r["cloud"] == cloud and r["impl"] == impl and r["keys"] == "10000")
        large = next(r for r in rows if r["cloud"] == cloud and r["impl"] == impl and r["keys"] == big)
        if small["error"] or large["error"]:
            print(f"| {names.get(cloud, cloud)} | {impl} | n/a | n/a | — | — |")
            continue
        t = float(large["secs"]) / float(small["secs"])
        g = float(large["peak_rss_mib"]) - float(small["peak_rss_mib"])
        print(f"| {names.get(cloud, cloud)} | {impl} | {float(small['secs']):.2f}, {small['peak_rss_mib']} | "
              f"{float(large['secs']):.2f}, {large['peak_rss_mib']} | {t:.1f}× | {g:+.1f} MiB |")
errs = [r for r in rows if r["error"]]
if errs:
    print("\nNot measured (the call failed):\n")
    for r in errs:
        print(f"- {r['cloud']} {r['impl']} {r['keys']}: {r['error']}")
PY
