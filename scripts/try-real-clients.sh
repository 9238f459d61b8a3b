#!/usr/bin/env bash
# Manual interop check: ComSIPL with two real SIP clients, Linphone's `linphonec` (Alice) and
# `baresip` (Carol), plus a scripted PUA (Dave) for the states neither client can set from its
# command line (busy, away, on-the-phone, do-not-disturb). Not part of `npm test`: it needs the
# Debian packages linphone-cli and baresip-core, and root for a private network namespace.
#
#   sudo scripts/try-real-clients.sh [--auth off|on] [--transport udp|tcp|both] [--keep] [--no-build]
#
# --transport both (the default) runs the whole check twice, the clients on UDP, then on TCP
# (Linphone and baresip register, publish and subscribe over one TCP connection each; their
# NOTIFYs come back on it). Dave, the scripted PUA, stays on UDP.
# Everything runs inside `unshare -n`: only a loopback interface exists, so no packet can leave
# the machine. The server runs on its defaults (UDP 0.0.0.0:5060 and [::]:5060) with --data in a
# temporary directory and --log-level debug. --auth on (the default for that address) adds users
# alice/carol/dave and runs with the server's default challenge (MD5 alone, which baresip 1.0.0
# needs); --auth off (this script's default) runs without digest authentication. Exit 0 when
# every expected presence change was seen by the client that should see
# it, 1 otherwise, 2 on a setup problem. The whole run is capped at 240 s; every wait has its
# own timeout; only processes started here are stopped. The work directory (client logs, server
# log, a pcap when tcpdump is installed) is kept on failure or with --keep.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER="$ROOT/scripts/real-clients-helper.mjs"
AUTH=off
TRANSPORT=both
KEEP=0
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --auth) AUTH=${2:-}; shift 2 ;;
    --transport) TRANSPORT=${2:-}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$AUTH" == on || "$AUTH" == off ]] || { echo "--auth takes on or off" >&2; exit 2; }
[[ "$TRANSPORT" == udp || "$TRANSPORT" == tcp || "$TRANSPORT" == both ]] || { echo "--transport takes udp, tcp or both" >&2; exit 2; }

# ---------------------------------------------------------------- re-exec in a network namespace
if [[ "${COMSIPL_TRY_NETNS:-}" != 1 ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "needs root for 'unshare -n' (try: sudo $0)" >&2; exit 2; }
  for tool in unshare ip node linphonec baresip timeout; do
    command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install linphone-cli baresip-core iproute2)" >&2; exit 2; }
  done
  args=(--auth "$AUTH"); [[ $KEEP -eq 1 ]] && args+=(--keep); [[ $BUILD -eq 0 ]] && args+=(--no-build)
  if [[ $TRANSPORT != both ]]; then
    exec timeout -k 5 240 unshare -n env COMSIPL_TRY_NETNS=1 bash "$0" "${args[@]}" --transport "$TRANSPORT"
  fi
  # Both: UDP first, then TCP (built once), each in its own namespace and time cap.
  timeout -k 5 240 unshare -n env COMSIPL_TRY_NETNS=1 bash "$0" "${args[@]}" --transport udp; rc_udp=$?
  args+=(--no-build)
  timeout -k 5 240 unshare -n env COMSIPL_TRY_NETNS=1 bash "$0" "${args[@]}" --transport tcp; rc_tcp=$?
  echo "UDP run: exit $rc_udp; TCP run: exit $rc_tcp"
  [[ $rc_udp -eq 0 && $rc_tcp -eq 0 ]] && exit 0
  [[ $rc_udp -eq 2 || $rc_tcp -eq 2 ]] && exit 2
  exit 1
fi

# ---------------------------------------------------------------- inside the namespace
# baresip takes its local address from the default route and, with none, refuses to send
# ("Protocol not supported"). A /32 on lo plus a default route over lo gives it one; whatever
# is routed there stays inside this namespace.
ip link set lo up
ip addr add 10.99.0.1/32 dev lo
ip route add default dev lo src 10.99.0.1

W=$(mktemp -d /tmp/comsipl-real-clients.XXXXXX)
SERVER_PORT=5060
ALICE_PORT=25071
CAROL_PORT=25073
CONS_PORT=25174
FAILS=0
PASSES=0
SRV_PID= ; TD_PID= ; LP_PID= ; BS_PID=
declare -a SUMMARY=()

say() { printf '%s %s\n' "$(date +%T)" "$*"; }
ok() { PASSES=$((PASSES + 1)); SUMMARY+=("PASS  $*"); say "PASS  $*"; }
bad() { FAILS=$((FAILS + 1)); SUMMARY+=("FAIL  $*"); say "FAIL  $*"; }
skip() { SUMMARY+=("SKIP  $*"); say "SKIP  $*"; }
CAROL_OK=1

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# Stop one process we started: SIGTERM, up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

cleanup() {
  trap - EXIT INT TERM
  exec 3>&- 2>/dev/null
  stop_pid "$LP_PID"; stop_pid "$BS_PID"; stop_pid "$SRV_PID"; stop_pid "$TD_PID"
  wait 2>/dev/null
  if [[ $FAILS -eq 0 && $KEEP -eq 0 && ${SETUP_OK:-0} -eq 1 ]]; then rm -rf "$W"; else say "work directory kept: $W"; fi
}
trap cleanup EXIT
trap 'bad "interrupted"; exit 1' INT TERM

# wait_until SECONDS command...: poll every 0.25 s until the command succeeds.
wait_until() {
  local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
  while (( $(date +%s%N) / 1000000 < deadline )); do
    "$@" && return 0
    sleep 0.25
  done
  return 1
}

# --------------------------------------------------------------- observers (the clients' own view)
# linphonec prints "Friend "<name>" <sip:…> is <Status>" on every presence change of a friend.
alice_mark() { wc -l < "$W/alice.log"; }
alice_has() { tail -n "+$(( $1 + 1 ))" "$W/alice.log" | grep -q "Friend \"$2\" <sip:$2@127.0.0.1> is $3\$"; }
# Alice saw <friend> become <Status> after line <mark> of her output.
alice_saw() {
  local mark=$1 friend=$2 status=$3
  if [[ $friend == carol && $CAROL_OK -eq 0 ]]; then skip "Alice (linphonec) shows carol: $status (Carol is not registered)"; return; fi
  if wait_until 15 alice_has "$mark" "$friend" "$status"; then ok "Alice (linphonec) shows $friend: $status"
  else bad "Alice (linphonec) shows $friend: $status (last: $(grep "Friend \"$friend\"" "$W/alice.log" | tail -1 | sed 's/.* is //'))"; fi
}
alice_send() { printf '%s\n' "$*" >&3; }

cons() { node "$HELPER" cons "$CONS_PORT" "$1" "${2:-600}"; }
# baresip's /contacts: "   <Status> <Name> <sip:…>" per contact.
carol_status() { cons /contacts | sed -n "s/^[> ]*\\([A-Za-z ]*[A-Za-z]\\) $1 <sip:.*/\\1/p" | head -1; }
carol_has() { [[ "$(carol_status "$1")" == "$2" ]]; }
carol_saw() {
  local name=$1 status=$2
  if [[ $CAROL_OK -eq 0 ]]; then skip "Carol (baresip) shows $name: $status (Carol is not registered)"; return; fi
  if wait_until 15 carol_has "$name" "$status"; then ok "Carol (baresip) shows $name: $status"
  else bad "Carol (baresip) shows $name: $status (last: $(carol_status "$name"))"; fi
}

dave() {
  local out
  out=$(node "$HELPER" publish "$SERVER_PORT" sip:dave@127.0.0.1 "$1" "$W/dave.etag" ${DAVE_AUTH:-}) \
    && say "Dave publishes $1: $out" || bad "Dave's PUBLISH ($1) answered: $out"
}

start_alice() {
  rm -f "$W/alice.in"; mkfifo "$W/alice.in"
  # linphonec reads commands from the FIFO; fd 3 stays open so it does not see EOF.
  HOME="$W/home" linphonec -c "$W/alice.rc" -d 0 < "$W/alice.in" >> "$W/alice.log" 2>&1 &
  LP_PID=$!
  exec 3> "$W/alice.in"
}

# ---------------------------------------------------------------- build and configure
cd "$ROOT" || exit 2
if [[ $BUILD -eq 1 ]]; then
  say "building (tsc)"
  node node_modules/typescript/bin/tsc -p tsconfig.json > "$W/tsc.log" 2>&1 \
    || say "tsc reported errors (see $W/tsc.log); using what it emitted"
fi
[[ -f dist/src/main.js ]] || { echo "dist/src/main.js missing: build first" >&2; exit 2; }
COMSIPL=(node "$ROOT/dist/src/main.js")
say "versions: $("${COMSIPL[@]}" --version | head -1); $(linphonec -v 2>/dev/null | head -1 || true)$(dpkg-query -W -f=' linphone-cli ${Version}' linphone-cli 2>/dev/null); $(dpkg-query -W -f='baresip-core ${Version}' baresip-core 2>/dev/null)"

mkdir -p "$W/home/.local/share/linphone" "$W/carol"
# Without ~/.local/share/linphone liblinphone cannot open its database and the core never
# starts: linphonec then sends nothing at all, silently.

ALICE_AUTH=; CAROL_AUTH=none; DAVE_AUTH=
# add_users DIR: the users file of a data directory (--auth on only).
add_users() {
  local u
  [[ $AUTH == on ]] || return 0
  # Without --realm the server challenges in the AoR's domain, the realm `user add` gives a user.
  for u in alice:pw-alice carol:pw-carol dave:pw-dave; do
    printf '%s\n' "${u#*:}" | "${COMSIPL[@]}" user add "${u%%:*}@127.0.0.1" --data "$1" > /dev/null \
      || { echo "comsipl user add failed" >&2; exit 2; }
  done
}
if [[ $AUTH == on ]]; then
  ALICE_AUTH=$'[auth_info_0]\nusername=alice\npasswd=pw-alice\nrealm=127.0.0.1\ndomain=127.0.0.1'
  CAROL_AUTH=pw-carol
  DAVE_AUTH="dave pw-dave"
fi

# Over TCP, linphonec listens on TCP only and reaches the server over its one connection.
if [[ $TRANSPORT == tcp ]]; then ALICE_UDP=0; ALICE_TCP=$ALICE_PORT; else ALICE_UDP=$ALICE_PORT; ALICE_TCP=0; fi
cat > "$W/alice.rc" <<EOF
[sip]
sip_port=$ALICE_UDP
bind_address=127.0.0.1
sip_tcp_port=$ALICE_TCP
sip_tls_port=0
[proxy_0]
reg_proxy=<sip:127.0.0.1:$SERVER_PORT;transport=$TRANSPORT>
reg_identity="Alice" <sip:alice@127.0.0.1>
reg_expires=600
reg_sendregister=1
publish=1
publish_expires=600
$ALICE_AUTH
EOF

cat > "$W/carol/config" <<EOF
sip_listen		127.0.0.1:$CAROL_PORT
sip_transports		$TRANSPORT
module_path		/usr/lib/baresip/modules
module			cons.so
module_app		account.so
module_app		contact.so
module_app		menu.so
module_app		presence.so
cons_listen		127.0.0.1:$CONS_PORT
audio_player		nil
audio_source		nil
EOF
printf '"Carol" <sip:carol@127.0.0.1>;auth_pass=%s;outbound="sip:127.0.0.1:%s;transport=%s";regint=600;pubint=600\n' \
  "$CAROL_AUTH" "$SERVER_PORT" "$TRANSPORT" > "$W/carol/accounts"
printf '"Alice" <sip:alice@127.0.0.1>;presence=p2p\n"Dave" <sip:dave@127.0.0.1>;presence=p2p\n' > "$W/carol/contacts"

# ---------------------------------------------------------------- start everything
if command -v tcpdump > /dev/null; then
  tcpdump -i lo -n -s 0 -U -w "$W/sip.pcap" port "$SERVER_PORT" > /dev/null 2>&1 &
  TD_PID=$!
fi

# baresip 1.0.0 races two initial PUBLISHes when its REGISTER is answered within ~10 ms: one
# from its start-up timer, one from "registered" (see README). Each creates its own publication
# (RFC 3903 §4.2) and baresip keeps only the last ETag, so the other stays 'open' until it
# expires and Carol can never look offline. The server's own view (a fetch) shows it: then start
# again with a fresh data directory, at most 3 times.
for attempt in 1 2 3; do
  DATA="$W/data.$attempt"; mkdir -p "$DATA"; add_users "$DATA"
  "${COMSIPL[@]}" --data "$DATA" --log-level debug $([[ $AUTH == off ]] && echo --auth off) > "$W/server.log" 2>&1 &
  SRV_PID=$!
  if wait_until 15 grep -q '"msg":"listening"' "$W/server.log"; then say "server listening (auth $AUTH, clients over $TRANSPORT, attempt $attempt)"
  else echo "server did not start, see $W/server.log" >&2; cat "$W/server.log" >&2; exit 2; fi
  SETUP_OK=1

  HOME="$W/home" baresip -f "$W/carol" > "$W/carol.log" 2>&1 &
  BS_PID=$!
  if ! wait_until 15 grep -q "carol@127.0.0.1: .* 200 OK" "$W/carol.log"; then
    CAROL_OK=0
    bad "Carol (baresip) registered: $(grep -a -m1 -iE 'register|failed' "$W/carol.log" | sed 's/\x1b\[[0-9;]*m//g')"
    if grep -q 'Function not implemented' "$W/carol.log"; then
      say "      baresip 1.0.0 (libre) gives up (ENOSYS) unless MD5 alone is offered (--auth-algorithms)"
    fi
    break
  fi
  sleep 1.5   # let both possible initial PUBLISHes be answered
  TUPLES=$(node "$HELPER" fetch "$SERVER_PORT" sip:dave@127.0.0.1 sip:carol@127.0.0.1 $DAVE_AUTH)
  say "server's view of Carol: $(echo $TUPLES)"
  if grep -q '"reason":"Bad Request - invalid PIDF document"' "$W/server.log"; then
    say "note: baresip's first PUBLISH carried <basic>unknown</basic> and got 400; it re-published 'open' once registered"
  fi
  if [[ $(grep -c ' open$' <<< "$TUPLES") -le 1 ]]; then ok "Carol (baresip) registered and published"; break; fi
  say "baresip raced two initial PUBLISHes (two open tuples); starting again"
  cp "$W/server.log" "$W/server.attempt$attempt.log"; cp "$W/carol.log" "$W/carol.attempt$attempt.log"
  cons /quit 300 > /dev/null; stop_pid "$BS_PID"; stop_pid "$SRV_PID"
  [[ $attempt -eq 3 ]] && { bad "baresip published once (3 attempts)"; CAROL_OK=0; }
done

: > "$W/alice.log"
start_alice
M=$(alice_mark)
alice_send "friend add carol sip:carol@127.0.0.1"
alice_send "friend add dave sip:dave@127.0.0.1"

# ---------------------------------------------------------------- 1. both come online
alice_saw "$M" carol Online
carol_saw Alice Online

# ---------------------------------------------------------------- 2. Carol changes, Alice watches
M=$(alice_mark); cons /presence_offline > /dev/null; alice_saw "$M" carol Offline
M=$(alice_mark); cons /presence_online > /dev/null;  alice_saw "$M" carol Online

# ---------------------------------------------------------------- 3. Dave's states, both watch
# Each step changes what both clients display, so every NOTIFY is observable on both sides.
# baresip 1.0.0 maps rpid:away to Offline and any rpid:busy/on-the-phone to Busy (its parser).
for step in "online Online Online" "busy Busy Busy" "away Away Offline" \
            "on-the-phone On_the_phone Busy" "offline Offline Offline" "dnd Busy Busy" "online Online Online"; do
  read -r state want_alice want_carol <<< "$step"
  M=$(alice_mark)
  dave "$state"
  alice_saw "$M" dave "${want_alice//_/ }"
  carol_saw Dave "$want_carol"
done

# ---------------------------------------------------------------- 4. Alice goes offline and back
M=$(alice_mark)
alice_send quit
if wait_until 15 bash -c "! kill -0 $LP_PID 2>/dev/null"; then say "linphonec (Alice) quit"; else bad "linphonec quit within 15 s"; fi
exec 3>&-
stop_pid "$LP_PID"
carol_saw Alice Offline
M=$(alice_mark)
start_alice
carol_saw Alice Online
# linphonec does not keep friends added with 'friend add' across a restart: add them again.
alice_send "friend add carol sip:carol@127.0.0.1"
alice_saw "$M" carol Online

# ---------------------------------------------------------------- 5. Carol quits
M=$(alice_mark)
cons /quit 300 > /dev/null
if wait_until 15 bash -c "! kill -0 $BS_PID 2>/dev/null"; then say "baresip (Carol) quit"; else bad "baresip quit within 15 s"; fi
alice_saw "$M" carol Offline
alice_send quit
wait_until 15 bash -c "! kill -0 $LP_PID 2>/dev/null" || bad "linphonec quit within 15 s"

# ---------------------------------------------------------------- server health
if grep -q '"level":[56]0' "$W/server.log"; then bad "server logged errors: $(grep '"level":[56]0' "$W/server.log" | head -3)"
else ok "server logged no error"; fi
kill -TERM "$SRV_PID"
if wait_until 10 bash -c "! kill -0 $SRV_PID 2>/dev/null" && grep -q '"msg":"stopped"' "$W/server.log"; then ok "server stopped cleanly"
else bad "server stopped cleanly within 10 s"; fi

# ---------------------------------------------------------------- what went over the wire
if [[ -n "$TD_PID" ]]; then
  stop_pid "$TD_PID"
  tcpdump -r "$W/sip.pcap" -n -A 2>/dev/null | awk '
    / > 127\.0\.0\.1\.[0-9]+: SIP: NOTIFY / { to = $5; sub(/:$/, "", to); n = 1; ent = ""; basic = ""; act = ""; state = ""; next }
    n && /^Subscription-State:/ { state = $2 }
    n && /entity="/ { ent = $0; sub(/.*entity="/, "", ent); sub(/".*/, "", ent) }
    n && /<basic>/ { b = $0; sub(/.*<basic>/, "", b); sub(/<.*/, "", b); basic = basic (basic == "" ? "" : ",") b }
    n && /<rpid:activities>/ { a = $0; sub(/.*<rpid:activities>/, "", a); sub(/<\/rpid:activities>.*/, "", a); gsub(/[<\/>]|rpid:/, "", a); act = a }
    n && /<\/presence>/ { printf "NOTIFY to %-20s %-22s basic=%-12s activities=%-14s %s\n", to, ent, basic, act, state; n = 0 }
  ' > "$W/notifies.txt"
  say "NOTIFY bodies sent by the server ($W/notifies.txt):"
  sed 's/^/    /' "$W/notifies.txt"
fi

echo
printf '%s\n' "${SUMMARY[@]}"
echo "passed $PASSES, failed $FAILS"
[[ $FAILS -eq 0 ]] && exit 0 || exit 1
