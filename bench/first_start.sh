#!/usr/bin/env bash
# usage: bench/first_start.sh REV DIR: times a fresh clone's `make demo` to "Live traffic running" (install included)
# pip without its cache and uv with an empty one, so downloads are counted; stops the demo with SIGINT after.
set -u
rev=$1; dir=$2
rm -rf "$dir"; git clone -q "$(git rev-parse --show-toplevel)" "$dir"; cd "$dir"; git checkout -q "$rev"
export PIP_NO_CACHE_DIR=1 UV_CACHE_DIR=$(mktemp -d)  # no pip cache, an empty uv cache
start=$(date +%s.%N)
setsid make demo DEMO_ARGS="--collector-port 34318 --dashboard-port 38501" > "$dir.log" 2>&1 &
pid=$!
while ! grep -q "Live traffic running" "$dir.log"; do
  sleep 0.5
  if ! kill -0 $pid 2>/dev/null; then echo "demo exited"; tail -20 "$dir.log"; exit 1; fi
done
end=$(date +%s.%N)
echo "$rev first start: $(echo "$end - $start" | bc) s"
grep -E "Backfill: [0-9]+ (calls|days)" "$dir.log" | head -3
kill -INT -- -$pid; sleep 10; pkill -f "$dir" ; true
