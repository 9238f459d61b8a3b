#!/usr/bin/env bash
# Soak: the mixed day-in-the-life SIPp scenario at a fixed rate for a bounded time against a
# fresh server, sampling every 30 s the server's RSS (from /proc) and its heap and state counts
# (from its own `stats` log line). Loopback only; stops only
# the processes it started.
# Usage: bench/soak.sh [rate=1000] [seconds=600]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-1000}
SECS=${2:-600}
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)" >&2; exit 2; }
[ -f dist/src/main.js ] || { echo "build first: npm run build" >&2; exit 2; }
W=$(mktemp -d /tmp/comsipl-soak.XXXXXX)
free_port() { node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PORT=$(free_port)
SIPP_PORT=$(free_port)
node dist/src/main.js --host 127.0.0.1 --port "$PORT" --data "$W/data" --log-level info --stats-interval 30 > "$W/server.log" 2>&1 &
SP=$!
SIPP=""
cleanup() {
  [ -n "$SIPP" ] && kill "$SIPP" 2>/dev/null || true
  kill "$SP" 2>/dev/null || true
  wait "$SP" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
sleep 2
CALLS=$(( RATE * SECS ))
( cd "$W" && exec timeout $(( SECS + 120 )) sipp "127.0.0.1:$PORT" -sf "$OLDPWD/bench/sipp/mixed.xml" -m "$CALLS" -r "$RATE" -l $(( RATE * 10 )) \
    -p "$SIPP_PORT" -mp 26000 -cp 18888 -nostdin -timeout $(( SECS + 90 )) -buff_size 4194304 -max_recv_loops 10000 -max_sched_loops 10000 \
    -aa -trace_screen -trace_err > "$W/sipp.out" 2>&1 ) &
SIPP=$!
echo "t_s,rss_mib,heap_mib,subscriptions,registrations,in_flight"
START=$(date +%s)
while kill -0 "$SIPP" 2>/dev/null; do
  sleep 30
  RSS=$(awk '/VmRSS/ {print $2}' "/proc/$SP/status" 2>/dev/null || echo 0)
  LAST=$(grep '"msg":"stats"' "$W/server.log" | tail -1)
  field() { echo "$LAST" | grep -oE "\"$1\":[0-9]+" | head -1 | cut -d: -f2; }
  echo "$(( $(date +%s) - START )),$(( RSS / 1024 )),$(field heapMiB),$(field subscriptions),$(field registrations),$(field inFlight)"
  [ $(( $(date +%s) - START )) -gt $(( SECS + 150 )) ] && break
done
wait "$SIPP" || true
grep -E "Successful call|Failed call" "$W"/*_screen.log | tail -2 || true
