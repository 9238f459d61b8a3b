#!/usr/bin/env bash
# Peer comparison kit, ComSIPL vs Kamailio 5.6 (every figure of issue 7's table): builds the tree,
# then runs bench/peers/compare.ts with the arguments given (see --help). Not part of CI; installs
# nothing. Needs: sipp (sip-tester), kamailio, kamailio-presence-modules, kamailio-sqlite-modules,
# sqlite3 (and kamailio-websocket-modules for --kam-variant ws).
#   bench/peers/compare.sh                 # the full run (about 35-45 min on a 2-core box)
#   bench/peers/compare.sh --quick         # a few minutes: checks the kit end to end
#   bench/peers/compare.sh --only check    # both servers answer every scenario correctly
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build --silent
exec node dist/bench/peers/compare.js "$@"
