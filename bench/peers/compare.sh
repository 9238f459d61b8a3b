#!/usr/bin/env bash
# Peer comparison: runs the same SIPp scenarios against ComSIPL and (if installed) Kamailio, one
# server at a time, on loopback ports, and prints per scenario the result of each and the ratio.
# Installs nothing. Not part of CI. Needs: sipp, a built tree (npm run build), and for the
# peer: apt-get install kamailio kamailio-presence-modules kamailio-sqlite-modules sqlite3.
# Usage: bench/peers/compare.sh [rate] [calls] [scenario[:start-rate] ...]
#   MODE=ramp (default): each server is ramped from the start rate (x RAMP_FACTOR per
#     STEP_SECONDS step, at most RAMP_STEPS steps) and the highest rate with < 0.1 % failed calls
#     and < 0.1 % retransmissions is compared. `calls` is unused in ramp mode except for fanout.
#   MODE=fixed: one run of `calls` calls at `rate`; compares ok calls/s (wall clock).
#   REPEATS=n: each ramp (or fixed run) is done n times per server, alternating servers.
#   LATENCY=1: after the ramps, one fixed run per server at half of its best clean rate
#     (LAT_SECONDS long) for the response-time percentiles.
#   FANOUT_CALLS (presentities, default 200) and WATCHERS (default 10) for fanout.
#   RAW=file: every runner JSON line (plus the load average before each run) is appended there.
# Every server is fresh per run: the runner starts its own ComSIPL; Kamailio is started here
# (its own temp dir, DB and control socket) and stopped by the pid started here.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${MODE:-ramp}
RATE=${1:-500}
CALLS=${2:-5000}
shift $(( $# > 2 ? 2 : $# )) || true
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(register publish subscribe mixed)
REPEATS=${REPEATS:-1}
RAMP_FACTOR=${RAMP_FACTOR:-1.5}
RAMP_STEPS=${RAMP_STEPS:-8}
STEP_SECONDS=${STEP_SECONDS:-5}
LATENCY=${LATENCY:-0}
LAT_SECONDS=${LAT_SECONDS:-10}
FANOUT_CALLS=${FANOUT_CALLS:-200}
WATCHERS=${WATCHERS:-10}
RAW=${RAW:-/dev/null}
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)"; exit 2; }
[ -f dist/bench/sipp/run.js ] || { echo "build first: npm run build"; exit 2; }
[ "$REPEATS" -ge 1 ] && [ "$REPEATS" -le 5 ] || { echo "REPEATS must be 1..5"; exit 2; }

WORK=$(mktemp -d /tmp/comsipl-peers.XXXXXX)
KPID=""
stop_kam() {
  if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then
    kill "$KPID"
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$KPID" 2>/dev/null || break; sleep 0.5; done
  fi
  KPID=""
}
cleanup() { stop_kam; rm -rf "$WORK"; }
trap cleanup EXIT

HAVE_KAM=0
command -v kamailio >/dev/null && HAVE_KAM=1
[ $HAVE_KAM -eq 1 ] || echo "kamailio not installed: ComSIPL numbers only" >&2
SCHEMA_DIR=/usr/share/kamailio/db_sqlite

# Starts a fresh Kamailio (2 UDP workers, 1 GiB shared memory) and prints its target.
start_kam() {
  local dir="$WORK/kam.$RANDOM$RANDOM"
  mkdir -p "$dir"
  if command -v sqlite3 >/dev/null && [ -d "$SCHEMA_DIR" ]; then
    for f in standard-create.sql presence-create.sql; do
      [ -f "$SCHEMA_DIR/$f" ] && sqlite3 "$dir/presence.db" < "$SCHEMA_DIR/$f"
    done
  else
    echo "warning: sqlite3 or $SCHEMA_DIR missing: Kamailio presence may refuse to start" >&2
  fi
  sed -e "s#DB_PATH#$dir/presence.db#g" -e "s#CTL_PATH#$dir/kamailio.ctl#g" bench/peers/kamailio.cfg > "$dir/kamailio.cfg"
  local port
  port=$(node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  kamailio -f "$dir/kamailio.cfg" -l "udp:127.0.0.1:$port" -P "$dir/kamailio.pid" -m 1024 -M 64 -E -DD \
    > "$dir/kamailio.log" 2>&1 &
  KPID=$!
  KDIR=$dir
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    grep -q "Listening on" "$dir/kamailio.log" 2>/dev/null && break
  done
  sleep 0.5
  if ! kill -0 "$KPID" 2>/dev/null; then
    echo "kamailio failed to start; log tail:" >&2; tail -20 "$dir/kamailio.log" >&2
    KPID=""
    return 1
  fi
  KTARGET="127.0.0.1:$port"
}

# One runner invocation (ComSIPL when $1 = comsipl, else Kamailio); prints the JSON line.
run_one() {
  local who=$1 scenario=$2; shift 2
  local load
  load=$(uptime | sed 's/.*load average: //')
  echo "{\"uptime\":\"$load\",\"server\":\"$who\",\"scenario\":\"$scenario\",\"args\":\"$*\"}" >> "$RAW"
  echo "  [$who $scenario $* | load $load]" >&2
  local line
  if [ "$who" = comsipl ]; then
    line=$(node dist/bench/sipp/run.js "$scenario" "$@" --json --label comsipl || true)
  else
    start_kam || { echo '{"error":"kamailio did not start"}'; return; }
    line=$(node dist/bench/sipp/run.js "$scenario" "$@" --json --label kamailio --target "$KTARGET" || true)
    stop_kam
  fi
  line=$(printf '%s\n' "$line" | tail -1)
  echo "$line" >> "$RAW"
  echo "$line"
}

# Figure of merit of a runner line: highest clean rate (ramp; fanout adds NOTIFY/s), or ok/s.
figure() {
  node -e 'try{const l=JSON.parse(process.argv[1]);if("maxRate" in l){const n=l.best&&l.best.notifyPerSecond!==undefined?` (${l.best.notifyPerSecond} NOTIFY/s)`:"";console.log(`${l.maxRate}${n}`)}else console.log(l.failed===0?`${l.okPerSecond}`:`${l.okPerSecond}(${l.failed}fail)`)}catch{console.log("error")}' "$1"
}
best_of() { node -e 'console.log(Math.max(0,...process.argv.slice(1).map(parseFloat).filter(Number.isFinite)))' "$@"; }

SERVERS=(comsipl)
[ $HAVE_KAM -eq 1 ] && SERVERS+=(kamailio)
declare -A RESULT BEST
for spec in "${SCENARIOS[@]}"; do
  s=${spec%%:*}
  r=$RATE
  [ "$spec" != "$s" ] && r=${spec#*:}
  c=$CALLS
  [ "$s" = fanout ] && c=$FANOUT_CALLS
  ARGS=(--rate "$r" --calls "$c" --watchers "$WATCHERS")
  [ "$MODE" = ramp ] && ARGS+=(--ramp --ramp-factor "$RAMP_FACTOR" --ramp-steps "$RAMP_STEPS" --step-seconds "$STEP_SECONDS")
  for ((i = 1; i <= REPEATS; i++)); do
    for who in "${SERVERS[@]}"; do
      RESULT[$s.$who.$i]=$(figure "$(run_one "$who" "$s" "${ARGS[@]}")")
    done
  done
  for who in "${SERVERS[@]}"; do
    vals=()
    for ((i = 1; i <= REPEATS; i++)); do vals+=("${RESULT[$s.$who.$i]%%(*}"); done
    BEST[$s.$who]=$(best_of "${vals[@]}")
  done
done

printf '\n%-10s %-6s %-32s %-32s %7s\n' scenario mode comsipl kamailio ratio
for spec in "${SCENARIOS[@]}"; do
  s=${spec%%:*}
  C="" K=""
  for ((i = 1; i <= REPEATS; i++)); do
    C+="${RESULT[$s.comsipl.$i]} "
    K+="${RESULT[$s.kamailio.$i]:--} "
  done
  R=$(node -e 'const c=parseFloat(process.argv[1]),k=parseFloat(process.argv[2]);console.log(c>0&&k>0?(c/k).toFixed(2):"-")' "${BEST[$s.comsipl]}" "${BEST[$s.kamailio]:-0}")
  printf '%-10s %-6s %-32s %-32s %7s\n' "$s" "$MODE" "$C" "$K" "$R"
done

if [ "$MODE" = ramp ] && [ "$LATENCY" = 1 ]; then
  printf '\nlatency at half of the best clean rate (%s s fixed run)\n' "$LAT_SECONDS"
  printf '%-10s %-9s %8s %8s %6s %6s %6s %6s\n' scenario server rate ok/s failed p50 p90 p99
  for spec in "${SCENARIOS[@]}"; do
    s=${spec%%:*}
    for who in "${SERVERS[@]}"; do
      half=$(node -e 'console.log(Math.max(1,Math.round(parseFloat(process.argv[1])/2)))' "${BEST[$s.$who]}")
      c=$(node -e 'console.log(Math.max(10,Math.round(process.argv[1]*process.argv[2])))' "$half" "$LAT_SECONDS")
      [ "$s" = fanout ] && c=$FANOUT_CALLS
      line=$(run_one "$who" "$s" --rate "$half" --calls "$c" --watchers "$WATCHERS")
      node -e 'try{const l=JSON.parse(process.argv[1]);console.log([process.argv[2].padEnd(10),process.argv[3].padEnd(9),String(l.offeredRate).padStart(8),String(l.okPerSecond).padStart(8),String(l.failed).padStart(6),String(l.p50).padStart(6),String(l.p90).padStart(6),String(l.p99).padStart(6)].join(" "))}catch{console.log(process.argv[2],process.argv[3],"error")}' "$line" "$s" "$who"
    done
  done
fi
