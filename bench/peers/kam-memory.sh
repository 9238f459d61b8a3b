#!/usr/bin/env bash
# Memory per active subscription of Kamailio (bench/peers/kamailio.cfg): starts a fresh Kamailio,
# reads the RSS of all its processes and `kamcmd core.shmmem` (used bytes), holds N presence
# subscriptions open with bench/sipp/fanout-watcher.xml (each waits 30 s for a NOTIFY, none
# comes because nobody publishes), reads the same figures while all N are held, then lets SIPp
# unsubscribe and stops Kamailio (by the pid started here).
# SIPp's -l (concurrent calls) is raised to N so that all N are held at once.
# Usage: bench/peers/kam-memory.sh [subscriptions=20000] [rate=2000]. Loopback only, bounded.
# Note: RSS of the processes counts the shared-memory pages each one touched (shared pages are
# counted once per process); the shm `used` delta is the cleaner per-subscription figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
N=${1:-20000}
RATE=${2:-2000}
[ "$N" -ge 1 ] && [ "$N" -le 200000 ] || { echo "subscriptions must be 1..200000"; exit 2; }
# Read the figures 15 s after the last SUBSCRIBE: by then the SUBSCRIBE/NOTIFY transactions
# have left tm's wait state, and the first watchers (30 s hold) have not unsubscribed yet.
HOLD=$(( N / RATE + 15 ))
[ "$HOLD" -le 28 ] || { echo "N/rate must stay under 13 s (the watchers hold 30 s)"; exit 2; }
command -v kamailio >/dev/null && command -v kamcmd >/dev/null && command -v sipp >/dev/null \
  || { echo "needs kamailio, kamcmd and sipp"; exit 2; }

WORK=$(mktemp -d /tmp/comsipl-kammem.XXXXXX)
KPID="" SPID=""
cleanup() {
  if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then kill "$SPID"; fi
  if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then kill "$KPID"; sleep 1; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for f in standard-create.sql presence-create.sql; do
  sqlite3 "$WORK/presence.db" < "/usr/share/kamailio/db_sqlite/$f"
done
sed -e "s#DB_PATH#$WORK/presence.db#g" -e "s#CTL_PATH#$WORK/kamailio.ctl#g" bench/peers/kamailio.cfg > "$WORK/kamailio.cfg"
PORT=$(node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
kamailio -f "$WORK/kamailio.cfg" -l "udp:127.0.0.1:$PORT" -P "$WORK/kamailio.pid" -m 1024 -M 64 -E -DD \
  > "$WORK/kamailio.log" 2>&1 &
KPID=$!
sleep 2
kill -0 "$KPID" 2>/dev/null || { tail -20 "$WORK/kamailio.log"; exit 1; }

rss_kib() { ps -o rss= -p "$KPID" --ppid "$KPID" | awk '{s+=$1} END {print s}'; }
shm_used() { kamcmd -s "unix:$WORK/kamailio.ctl" core.shmmem | awk '/real_used/ {print $2}'; }

# One presentity per 10 watchers, as in the fan-out scenario.
node -e 'const n=+process.argv[1];let s="SEQUENTIAL\n";for(let i=0;i<n;i++)s+=`mem${Math.floor(i/10)};mem${Math.floor(i/10)}w${i%10};\n`;process.stdout.write(s)' "$N" > "$WORK/watchers.csv"

SPORT=$(node -e "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
R0=$(rss_kib); S0=$(shm_used)
echo "before: rss ${R0} KiB (all kamailio processes), shm real_used ${S0} B"
(
  cd "$WORK"
  exec sipp "127.0.0.1:$PORT" -sf "$REPO/bench/sipp/fanout-watcher.xml" -inf "$WORK/watchers.csv" -m "$N" -l "$N" -r "$RATE" -rp 1000 \
    -i 127.0.0.1 -p "$SPORT" -nostdin -timeout 90s -recv_timeout 32000 -aa -trace_stat -stf stat.csv -fd 1 \
    -buff_size 4194304 -max_recv_loops 10000 -max_sched_loops 10000 > /dev/null 2> sipp.err
) &
SPID=$!
sleep "$HOLD"
R1=$(rss_kib); S1=$(shm_used)
echo "holding $N: rss ${R1} KiB, shm real_used ${S1} B"
node -e 'const [n,r0,r1,s0,s1]=process.argv.slice(1).map(Number);console.log(`per subscription: rss ${((r1-r0)*1024/n).toFixed(0)} B, shm ${((s1-s0)/n).toFixed(0)} B`)' "$N" "$R0" "$R1" "$S0" "$S1"
wait "$SPID" || true
SPID=""
tail -1 "$WORK/stat.csv" | tr ';' '\n' | paste -d= <(head -1 "$WORK/stat.csv" | tr ';' '\n') - | grep -E '^(TotalCallCreated|SuccessfulCall|FailedCall|Retransmissions)\(C\)' | tr '\n' ' '
echo
echo "after unsubscribe: rss $(rss_kib) KiB, shm real_used $(shm_used) B"
