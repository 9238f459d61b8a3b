#!/usr/bin/env bash
# Peer comparison: runs the same SIPp scenarios against ComSIPL and (if installed) Kamailio,
# in one run, on loopback ports, and prints ok-calls/s of each and the ratio per scenario.
# Installs nothing. Not part of CI. Needs: sipp, a built tree (npm run build), and for the
# peer: apt-get install kamailio kamailio-presence-modules kamailio-sqlite-modules (+ sqlite3).
# Usage: bench/peers/compare.sh [rate] [calls] [scenario ...]
#   MODE=ramp (default): each server is ramped from `rate` (x1.5 per 5 s step, at most 8 steps)
#     and the highest rate with < 0.1 % failures and retransmissions is compared.
#   MODE=fixed: one run of `calls` calls at `rate`; compares ok calls/s (wall clock).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${MODE:-ramp}
RATE=${1:-500}
CALLS=${2:-5000}
shift $(( $# > 2 ? 2 : $# )) || true
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(register publish subscribe mixed)
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)"; exit 2; }
[ -f dist/bench/sipp/run.js ] || { echo "build first: npm run build"; exit 2; }

WORK=$(mktemp -d /tmp/comsipl-peers.XXXXXX)
KPID=""
cleanup() {
  if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then kill "$KPID"; sleep 1; fi
  if [ -f "$WORK/kamailio.pid" ]; then kill "$(cat "$WORK/kamailio.pid")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

KAM_TARGET=""
if command -v kamailio >/dev/null; then
  SCHEMA_DIR=/usr/share/kamailio/db_sqlite
  DB="$WORK/presence.db"
  if command -v sqlite3 >/dev/null && [ -d "$SCHEMA_DIR" ]; then
    for f in standard-create.sql presence-create.sql; do
      [ -f "$SCHEMA_DIR/$f" ] && sqlite3 "$DB" < "$SCHEMA_DIR/$f"
    done
  else
    echo "warning: sqlite3 or $SCHEMA_DIR missing: Kamailio presence may refuse to start" >&2
  fi
  sed "s#DB_PATH#$DB#g" bench/peers/kamailio.cfg > "$WORK/kamailio.cfg"
  KPORT=$(node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  kamailio -f "$WORK/kamailio.cfg" -l "udp:127.0.0.1:$KPORT" -P "$WORK/kamailio.pid" -m 1024 -M 64 -E -DD \
    > "$WORK/kamailio.log" 2>&1 &
  KPID=$!
  sleep 2
  if kill -0 "$KPID" 2>/dev/null; then
    KAM_TARGET="127.0.0.1:$KPORT"
  else
    echo "kamailio failed to start; log tail:" >&2; tail -20 "$WORK/kamailio.log" >&2
  fi
else
  echo "kamailio not installed: ComSIPL numbers only" >&2
fi

ok_rate() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{try{const l=JSON.parse(d.trim().split("\n").pop());console.log("maxRate" in l?l.maxRate:l.failed===0?l.okPerSecond:`${l.okPerSecond}(${l.failed}fail)`)}catch{console.log("error")}})'; }
ARGS=(--rate "$RATE" --calls "$CALLS" --json)
[ "$MODE" = ramp ] && ARGS+=(--ramp)

printf '%-10s %8s %14s %14s %8s\n' scenario "$MODE" comsipl kamailio ratio
for s in "${SCENARIOS[@]}"; do
  C=$(node dist/bench/sipp/run.js "$s" "${ARGS[@]}" --label comsipl | ok_rate)
  K="-"
  if [ -n "$KAM_TARGET" ]; then
    K=$(node dist/bench/sipp/run.js "$s" "${ARGS[@]}" --label kamailio --target "$KAM_TARGET" | ok_rate)
  fi
  R=$(node -e 'const c=parseFloat(process.argv[1]),k=parseFloat(process.argv[2]);console.log(c>0&&k>0?(c/k).toFixed(2):"-")' "$C" "$K")
  printf '%-10s %8s %14s %14s %8s\n' "$s" "$RATE" "$C" "$K" "$R"
done
