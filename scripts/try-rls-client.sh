#!/usr/bin/env bash
# Manual interop check of resource lists (RFC 4662) with a real liblinphone 5.1 client: a small
# C driver (scripts/rls-client/rls-driver.c) with a friend list of N (default 100) whose RLS
# address is sip:rls@127.0.0.1 (Linphone's rls_uri), against ComSIPL. The friends' states are
# PUBLISHed first (round a), the driver subscribes to the list (one SUBSCRIBE with the list in its
# deflated body), then every 10th friend changes (round b) while it runs. PASS when liblinphone
# reports every friend's state and every round-b note. Not part of `npm test`: it needs the
# Debian packages liblinphone-dev (headers, to build the driver) and root for `unshare -n`.
#
#   sudo scripts/try-rls-client.sh [--friends N] [--keep] [--no-build]
#
# Everything runs inside a private network namespace (only loopback), capped at 180 s; only the
# processes started here are stopped. Exit 0 on PASS, 1 on FAIL, 2 on a setup problem.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=100
KEEP=0
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --friends) N=${2:-100}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
if [[ "${COMSIPL_TRY_NETNS:-}" != 1 ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "needs root for 'unshare -n'" >&2; exit 2; }
  for tool in unshare ip node cc timeout; do command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }; done
  [[ -f /usr/include/linphone/core.h ]] || { echo "missing liblinphone headers (apt-get install liblinphone-dev)" >&2; exit 2; }
  args=(--friends "$N"); [[ $KEEP -eq 1 ]] && args+=(--keep); [[ $BUILD -eq 0 ]] && args+=(--no-build)
  exec timeout -k 5 180 unshare -n env COMSIPL_TRY_NETNS=1 bash "$0" "${args[@]}"
fi
ip link set lo up
# A default route over lo: liblinphone, like baresip, wants one to pick its local address.
ip addr add 10.99.0.1/32 dev lo
ip route add default dev lo src 10.99.0.1
W=$(mktemp -d /tmp/comsipl-rls-client.XXXXXX)
SRV_PID= ; DRV_PID=
cleanup() {
  for p in $DRV_PID $SRV_PID; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in $DRV_PID $SRV_PID; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT
[[ $BUILD -eq 1 ]] && { (cd "$ROOT" && npm run build --silent) || exit 2; }
cc -O1 -o "$W/rls-driver" "$ROOT/scripts/rls-client/rls-driver.c" -llinphone -lbctoolbox -lmediastreamer -lortp -lbellesip || exit 2
node "$ROOT/dist/src/main.js" --host 127.0.0.1 --port 5060 --data "$W/data" --log-level debug --list-batch-ms 300 > "$W/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 100); do grep -q '"msg":"listening"' "$W/server.log" && break; sleep 0.1; done
node "$ROOT/scripts/rls-client/publish-states.mjs" 5060 buddy 127.0.0.1 "$N" a "$W/etags.json" || { echo "FAIL: round a not published"; exit 1; }
mkdir -p "$W/home/.local/share/linphone"
cat > "$W/eve.rc" <<RC
[sip]
sip_port=25190
sip_tcp_port=0
sip_tls_port=0
bind_address=127.0.0.1
default_proxy=0
[proxy_0]
reg_proxy=<sip:127.0.0.1:5060;transport=udp>
reg_identity="eve" <sip:eve@127.0.0.1>
reg_expires=600
reg_sendregister=1
publish=0
[sound]
playback_dev_id=
capture_dev_id=
RC
HOME="$W/home" RLS_DRIVER_DEBUG=1 "$W/rls-driver" "$W/eve.rc" "sip:rls@127.0.0.1" buddy 127.0.0.1 "$N" 15 > "$W/driver.out" 2> "$W/driver.err" &
DRV_PID=$!
sleep 6
node "$ROOT/scripts/rls-client/publish-states.mjs" 5060 buddy 127.0.0.1 "$N" b "$W/etags.json" 10 || echo "round b not fully published"
wait "$DRV_PID"
DRV_PID=
seen=$(grep -c '^PRESENCE ' "$W/driver.out")
friends=$(grep '^PRESENCE ' "$W/driver.out" | awk '{print $2}' | sort -u | wc -l)
round_b=$(grep '^PRESENCE ' "$W/driver.out" | grep -c ' b-')
want_b=$(( (N + 9) / 10 ))
echo "liblinphone reported $seen presence changes for $friends/$N friends; round-b notes seen: $round_b/$want_b"
grep '^SUMMARY' "$W/driver.out"
grep -i -E 'rlmi|multipart|boundary|Content-Id' "$W/driver.err" | sort | uniq -c | sort -rn | head -5
if [[ $friends -eq $N && $round_b -ge $want_b ]]; then echo "PASS"; rc=0; else echo "FAIL (work dir $W)"; KEEP=1; rc=1; fi
[[ $KEEP -eq 1 ]] && echo "work dir: $W" || rm -rf "$W"
exit $rc
