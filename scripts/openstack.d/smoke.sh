#!/usr/bin/env bash
# A short end-to-end check of the running test cloud as the test user (OS_* set by
# scripts/openstack smoke): network, subnet, security group and rule, a server's life cycle,
# and an S3 put/get through Swift's s3api.
set -euo pipefail
export PATH=/usr/bin:/bin:$PATH
n=nimbus-smoke-$$
step() { printf 'smoke: %-44s %3ss\n' "$1" $((SECONDS - T0)) >&2; }
T0=$SECONDS
os() { openstack "$@"; }
wait_status() { # server, status
  local i s
  for ((i = 0; i < 120; i++)); do
    s=$(os server show "$1" -f value -c status)
    [ "$s" = "$2" ] && return 0
    [ "$s" = ERROR ] && { os server show "$1" -f value -c fault >&2; return 1; }
    sleep 1
  done
  echo "smoke: server $1 stayed $s, wanted $2" >&2; return 1
}
cleanup() {
  os server delete --wait "$n-vm" >/dev/null 2>&1 || true
  os security group delete "$n-sg" >/dev/null 2>&1 || true
  os subnet delete "$n-subnet" >/dev/null 2>&1 || true
  os network delete "$n-net" >/dev/null 2>&1 || true
}
trap cleanup EXIT

os network create "$n-net" -f value -c id >/dev/null; step "network created"
os subnet create --network "$n-net" --subnet-range 10.42.0.0/24 "$n-subnet" -f value -c id >/dev/null; step "subnet created"
os security group create "$n-sg" -f value -c id >/dev/null
os security group rule create --protocol tcp --dst-port 22 --remote-ip 0.0.0.0/0 "$n-sg" -f value -c id >/dev/null
step "security group + rule created"
os server create --image "$NIMBUS_TEST_OPENSTACK_IMAGE" --flavor "$NIMBUS_TEST_OPENSTACK_FLAVOR" \
  --network "$n-net" --security-group "$n-sg" "$n-vm" -f value -c id >/dev/null
wait_status "$n-vm" ACTIVE; step "server ACTIVE"
addr=$(os server show "$n-vm" -f value -c addresses); echo "smoke: addresses $addr" >&2
case $addr in *10.42.0.*) ;; *) echo "smoke: no address from the subnet" >&2; exit 1 ;; esac
os server stop "$n-vm"; wait_status "$n-vm" SHUTOFF; step "server SHUTOFF"
os server start "$n-vm"; wait_status "$n-vm" ACTIVE; step "server ACTIVE again"
os server delete --wait "$n-vm"; step "server deleted"
os security group delete "$n-sg"; os subnet delete "$n-subnet"; os network delete "$n-net"
step "network, subnet, security group deleted"

/usr/bin/python3 - <<'PY'
import os, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["NIMBUS_TEST_OPENSTACK_S3_ENDPOINT"],
                  aws_access_key_id=os.environ["NIMBUS_TEST_OPENSTACK_S3_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["NIMBUS_TEST_OPENSTACK_S3_SECRET_KEY"],
                  region_name=os.environ["NIMBUS_TEST_OPENSTACK_S3_REGION"],
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
b = "nimbus-smoke-%d" % os.getpid()
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key="hello.txt", Body=b"hello from nimbus", Metadata={"k": "v"})
o = s3.get_object(Bucket=b, Key="hello.txt")
assert o["Body"].read() == b"hello from nimbus" and o["Metadata"] == {"k": "v"}, o
s3.delete_object(Bucket=b, Key="hello.txt")
s3.delete_bucket(Bucket=b)
PY
step "S3 put/get/delete through s3api"
