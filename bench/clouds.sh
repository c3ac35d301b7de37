# Sourced by the bench scripts (bench/instructions.sh, bench/listing.sh): where each cloud's
# server is. The emulators' NIMBUS_TEST_* variables must be set (scripts/emulators start);
# Swift takes its Keystone credentials from OS_* and starts scripts/openstack when they are
# unset, adding `openstack` to the caller's `stops` array so its exit trap stops it.

# Starts the emulators unless their variables are set (and stops them on exit, with any
# OpenStack started here), then builds the bench: BIN is its binary.
bench_start() {
  stops=()
  trap 'for c in "${stops[@]}"; do bash scripts/$c stop >/dev/null 2>&1 || true; done' EXIT
  if [ -z "${NIMBUS_TEST_S3S_ENDPOINT:-}" ]; then
    stops+=(emulators)
    eval "$(bash scripts/emulators start)"
  fi
  cargo build -q --release -p nimbus-bench
  BIN=target/release/nimbus-bench
}

# Sets EP to the endpoint of cloud $1 (empty for Swift, which reads OS_*).
cloud_endpoint() {
  case $1 in
    s3) EP=$NIMBUS_TEST_S3S_ENDPOINT ;;
    azure) EP=$NIMBUS_TEST_AZURITE_ENDPOINT ;;
    gcs) EP=$NIMBUS_TEST_GCS_ENDPOINT ;;
    swift)
      EP=""
      if [ -z "${NIMBUS_TEST_OPENSTACK_AUTH_URL:-}" ]; then
        stops+=(openstack)
        bash scripts/openstack start > target/openstack-env.sh 2> target/openstack-start.log
      fi
      if [ -f target/openstack-env.sh ] && [ -z "${OS_AUTH_URL:-}" ]; then
        # shellcheck disable=SC1091
        source target/openstack-env.sh
      fi ;;
    *) echo "unknown cloud $1 (s3, azure, gcs, swift)" >&2; return 1 ;;
  esac
}
