#!/bin/bash
# Instructions per lookup-record Create in cimnetd, counted by callgrind
# (reproducible on a loaded machine, unlike wall-clock rates).
#   bench/agent/wsman/create_profile.sh BUILD_DIR [N] [LOG_LEVEL]
# Starts BUILD_DIR/bin/cimnetd under valgrind --tool=callgrind on a temporary
# state directory, warms up with 200 Creates, zeroes the counters, runs N
# (default 1000) Creates over one keep-alive connection, dumps, and prints
# the instructions per Create plus the 25 most expensive functions
# (inclusive); the baseline is the provider's inclusive share of the same
# run. The profile stays in the printed directory for
# callgrind_annotate / kcachegrind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd)/bin/cimnetd
n=${2:-1000}
level=${3:-warn}
work=$(mktemp -d /tmp/cimnet-create-profile.XXXXXX)
mkdir "$work/state"
printf 'secret-admin\n' | "$bin" user add admin --role admin --state-dir "$work/state" >/dev/null
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" "$bin" \
  --state-dir "$work/state" --http 127.0.0.1:0 --port-file "$work/ports" \
  --log-level "$level" 2>"$work/cimnetd.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
deadline=$((SECONDS + 300))
until [ -s "$work/ports" ]; do
  [ $SECONDS -lt $deadline ] || { echo "cimnetd did not start (see $work/cimnetd.log)" >&2; exit 1; }
  sleep 0.5
done
port=$(awk '{print $2}' "$work/ports" | sed 's/.*://')
/usr/bin/python3 "$here/create_client.py" "$port" 200 0
callgrind_control -z $pid >/dev/null
/usr/bin/python3 "$here/create_client.py" "$port" "$n" 1000
callgrind_control -d $pid >/dev/null
kill $pid
wait $pid || true
trap - EXIT
profile=$(ls "$work"/callgrind.$pid.* | head -1)
total=$(grep '^summary:' "$profile" | awk '{print $2}')
annotated=$(callgrind_annotate --inclusive=yes "$profile" 2>/dev/null)
# Baseline from the same run: the provider's own share (store commit +
# datapath), i.e. what is left if WS-Man, HTTP and auth cost nothing.
provider=$(grep -m1 'NetvirtProvider::create(' <<<"$annotated" | awk '{gsub(",", "", $1); print $1}')
per=$((total / n))
base=$((${provider:-0} / n))
ratio=$(awk -v a=$per -v b=$base 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "BENCH agent.create.instructions $per instructions/create baseline=provider.create:$base ratio=$ratio"
sed -n '/file:function/,$p' <<<"$annotated" | head -27 | cut -c1-160
echo "profile: $profile"
