#!/usr/bin/env bash
# Cold release build time and stripped binary size of a minimal program per feature set.
# Each set builds in its own empty target directory (the registry is shared, so downloads are
# not counted). Sequential; about 40 minutes on this 2-core machine for the default sets.
#
#   bash bench/sizes/run.sh                       # the default sets
#   SETS="local local,aws-storage" bash bench/sizes/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/Cargo.lock" ] || cp "$here/../../Cargo.lock" "$here/"
base=${SIZES_DIR:-/work/sizes}
sets=${SETS:-"local local,aws-storage local,aws local,aws,azure,gcp,openstack,libvirt"}
printf '%-45s %10s %12s %8s\n' features "build (s)" "binary (MiB)" crates
for set in $sets; do
  dir=$base/$(echo "$set" | tr ',' '+')
  rm -rf "$dir"
  start=$(date +%s)
  (cd "$here" && CARGO_TARGET_DIR=$dir cargo build --release -q --features "$set")
  secs=$(( $(date +%s) - start ))
  size=$(stat -c %s "$dir/release/nimbus-size")
  crates=$(ls "$dir/release/deps" | grep -c '\.rlib$' || true)
  printf '%-45s %10d %12.1f %8d\n' "$set" "$secs" "$(echo "$size / 1048576" | bc -l)" "$crates"
done
