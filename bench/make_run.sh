#!/usr/bin/env bash
# Đo `make run` từ một bản sao sạch / Measure `make run` from a clean clone.
#
# Usage: bench/make_run.sh [SOURCE_REPO]     (default: the repository holding this script)
#
#   1. git clone SOURCE_REPO (its committed HEAD) into a temp dir;
#   2. copy development.ini to bench-make-run.ini with a free loopback port;
#   3. time `make run INI=bench-make-run.ini` until GET /healthz answers 200
#      (venv creation and pip install included; Debian packages must already
#      be present, as scripts/debian-packages would otherwise install them);
#   4. stop that server, time a second `make run` on the same clone;
#   5. stop it, print both times against the targets (first < 300 s,
#      second < 20 s) and remove the clone.
#
# Environment:
#   KEEP=1          keep the clone (and its make logs) afterwards
#   PIP_CACHE=warm  let pip use its cache (default: PIP_NO_CACHE_DIR=1, as on a
#                   fresh machine: every package is downloaded)
#   OVERLAY="a b"   paths copied from SOURCE_REPO's work tree into the clone
#                   after cloning, to measure work not committed yet
#   TIMEOUT=600     seconds to wait for each start
#   RESULT=FILE     also write the results as JSON to FILE
#
# Exit status: 0 when both starts answered, 1 when one did not (the log tail is
# printed), 3 when both answered but a target was missed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_repo=${1:-$(cd "$here/.." && pwd)}
timeout=${TIMEOUT:-600}
tmp=$(mktemp -d /tmp/serepok-make-run-XXXXXX)
clone="$tmp/serepok"
server_pgid=""

stop_server() {
    if [ -n "$server_pgid" ] && kill -0 -- "-$server_pgid" 2>/dev/null; then
        kill -TERM -- "-$server_pgid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 -- "-$server_pgid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$server_pgid" 2>/dev/null || true
    fi
    server_pgid=""
}

cleanup() {
    stop_server
    if [ "${KEEP:-0}" = 1 ]; then
        echo "Giữ lại / kept: $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# One timed start: `make run` in its own process group, polled until it answers;
# sets $took to the seconds it took (no subshell, so $server_pgid stays known).
took=""
timed_start() {
    local label=$1 log=$2 started answered
    started=$(now)
    setsid make -C "$clone" run INI=bench-make-run.ini >"$log" 2>&1 &
    server_pgid=$!
    while :; do
        if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
            answered=$(now)
            break
        fi
        if ! kill -0 "$server_pgid" 2>/dev/null; then
            echo "LỖI / FAILED: $label: make run exited before the portal answered. Log tail:" >&2
            tail -n 30 "$log" >&2
            return 1
        fi
        if [ "$(elapsed "$started" "$(now)" | cut -d. -f1)" -ge "$timeout" ]; then
            echo "LỖI / FAILED: $label: no answer within $timeout s. Log tail:" >&2
            tail -n 30 "$log" >&2
            return 1
        fi
        sleep 0.25
    done
    took=$(elapsed "$started" "$answered")
}

command -v curl >/dev/null || { echo "Thiếu curl / curl is missing" >&2; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

if [ "${PIP_CACHE:-cold}" != warm ]; then
    export PIP_NO_CACHE_DIR=1
fi

t0=$(now)
git clone -q "$source_repo" "$clone"
commit=$(git -C "$clone" rev-parse --short HEAD)
for path in ${OVERLAY:-}; do
    mkdir -p "$clone/$(dirname "$path")"
    cp -a "$source_repo/$path" "$clone/$(dirname "$path")/"
done
clone_s=$(elapsed "$t0" "$(now)")
sed -e "s/^listen = .*/listen = 127.0.0.1:$port/" \
    -e "s#^serepok.base_url = .*#serepok.base_url = http://127.0.0.1:$port#" \
    "$clone/development.ini" >"$clone/bench-make-run.ini"

echo "Bản sao / clone of $source_repo at $commit in $clone (${clone_s} s)${OVERLAY:+, overlay: $OVERLAY}"
echo "Cổng / port $port; pip cache: ${PIP_CACHE:-cold}"

echo "Lần 1 / first make run (venv + pip install + demo data)..."
timed_start "first make run" "$tmp/make-run-1.log"
first=$took
stop_server
echo "  trả lời sau / answered after ${first} s"

echo "Lần 2 / second make run (same clone)..."
timed_start "second make run" "$tmp/make-run-2.log"
second=$took
stop_server
echo "  trả lời sau / answered after ${second} s"

verdict() { awk -v t="$1" -v max="$2" 'BEGIN { print (t < max) ? "đạt/met" : "KHÔNG ĐẠT/MISSED" }'; }
echo
echo "== make run, commit $commit =="
echo "Lần đầu / first:  ${first} s  (mục tiêu / target < 300 s: $(verdict "$first" 300))"
echo "Lần hai / second: ${second} s  (mục tiêu / target < 20 s: $(verdict "$second" 20))"
echo "Tổng thời gian đo / benchmark ran $(elapsed "$t0" "$(now)") s"

if [ -n "${RESULT:-}" ]; then
    printf '{"commit": "%s", "overlay": "%s", "pip_cache": "%s", "clone_s": %s, "first_s": %s, "second_s": %s}\n' \
        "$commit" "${OVERLAY:-}" "${PIP_CACHE:-cold}" "$clone_s" "$first" "$second" >"$RESULT"
fi
awk -v a="$first" -v b="$second" 'BEGIN { exit (a < 300 && b < 20) ? 0 : 3 }'
