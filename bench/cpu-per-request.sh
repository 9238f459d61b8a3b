#!/usr/bin/env bash
# CPU cost per request: a fresh server, one SIPp scenario at a fixed rate well below the
# maximum, and the server's user+system CPU time (all its threads, from /proc) divided by the
# requests it answered. Unlike a rate, this figure hardly moves when the machine is shared,
# so it is the one to compare before/after a hot-path change. Also prints the main thread's
# own CPU per request (schedstat, ns), the figure the UDP batching changes (COMSIPL_UDP=dgram
# or native in the environment picks the transport; bench/transport/README in bench/README.md).
# Usage: bench/cpu-per-request.sh [scenario=register] [rate=3000] [calls=30000] [server args...]
set -euo pipefail
cd "$(dirname "$0")/.."
SCEN=${1:-register}; RATE=${2:-3000}; CALLS=${3:-30000}; shift $(( $# > 3 ? 3 : $# )) || true
[ -f dist/src/main.js ] || { echo "build first: npm run build" >&2; exit 2; }
W=$(mktemp -d /tmp/comsipl-cpu.XXXXXX)
free_port() { node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PORT=$(free_port); SPORT=$(free_port)
node dist/src/main.js --host 127.0.0.1 --port "$PORT" --data "$W/data" --log-level warn "$@" > "$W/server.log" 2>&1 &
SP=$!
trap 'kill $SP 2>/dev/null || true; wait $SP 2>/dev/null || true; rm -rf "$W"' EXIT
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$SP/stat"; }
HZ=$(getconf CLK_TCK)
mainns() { awk '{print $1}' "/proc/$SP/task/$SP/schedstat"; }
T0=$(ticks); M0=$(mainns)
( cd "$W" && timeout 300 sipp "127.0.0.1:$PORT" -sf "$OLDPWD/bench/sipp/$SCEN.xml" -m "$CALLS" -r "$RATE" -l $(( RATE * 5 )) -p "$SPORT" \
    -mp 27000 -cp 19888 -nostdin -timeout 120 -buff_size 4194304 -max_recv_loops 10000 -max_sched_loops 10000 -aa -trace_screen > /dev/null 2>&1 ) || true
T1=$(ticks); M1=$(mainns)
OK=$(grep -E "Successful call" "$W"/*_screen.log | tail -1 | awk -F'|' '{print $3}' | tr -d ' ')
REQS=$(grep -E "^ +(REGISTER|PUBLISH|SUBSCRIBE) -+>" "$W"/*_screen.log | awk '{s += $(NF-1) > 0 ? $3 : 0} END {print s}')
REQS=$(grep -E "^ +(REGISTER|PUBLISH|SUBSCRIBE) -" "$W"/*_screen.log | awk '{for (i=1;i<=NF;i++) if ($i ~ /^[0-9]+$/) {s+=$i; break}} END {print s}')
CPU_MS=$(( (T1 - T0) * 1000 / HZ ))
echo "scenario=$SCEN rate=$RATE calls_ok=$OK requests=$REQS server_cpu_ms=$CPU_MS cpu_us_per_request=$(( CPU_MS * 1000 / (REQS > 0 ? REQS : 1) )) main_thread_us_per_request=$(( (M1 - M0) / 1000 / (REQS > 0 ? REQS : 1) )) udp=${COMSIPL_UDP:-auto}"
