#!/usr/bin/env bash
# One-off scale runs of the `nw` binary on large generated data sets (issue 13): too slow to
# repeat under criterion, so each command runs once under `/usr/bin/time -v`, which gives its
# wall time and peak resident memory.
#
# Usage: benches/peers/sweep_scale.sh [ROWS ...]      (default: 1000000)
#
# For each ROWS, a training file of ROWS rows (`nw generate --seed 7`) and a query file of
# QUERIES rows (default 10^6, `--seed 8`, its `x` column read as the queries), then:
#   nw bandwidth --train FILE --kernel epanechnikov   (the CV search)
#   nw bandwidth --train FILE --kernel gaussian
#   nw predict --train FILE --query QFILE --bandwidth H --kernel K   (H default 0.1, for
#       K = gaussian and epanechnikov; 0.1 is about the rule of thumb 1.06 sd n^(-1/5) at
#       10^6 rows of x uniform on [0, 5))
# with `--algorithm auto` when the binary has that flag (else its default). The binary
# prints no timing of its own when stderr is not a terminal, so each command's stderr is shown
# as it is (warnings), beside its stdout (the chosen bandwidth) unless that is a file.
#
# Environment: QUERIES (default 1000000), H (default 0.1), TIMEOUT seconds per command
# (default 1800; a command that runs longer is stopped and reported as such), WORK (where the
# files go, default target/tmp/sweep-scale; deleted at the end).
#
# Needs: cargo, GNU time (`/usr/bin/time`), coreutils' `timeout`. Builds `nw` once
# (`cargo build --release -p nw-cli`); a 10^7-row file is about 200 MB on disk.

set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
queries=${QUERIES:-1000000}
h=${H:-0.1}
limit=${TIMEOUT:-1800}
work=${WORK:-$root/target/tmp/sweep-scale}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000)

for n in "${sizes[@]}" "$queries"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "sweep_scale.sh: not a row count: $n" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "sweep_scale.sh: needs GNU time at /usr/bin/time" >&2; exit 2; }

cargo build --release -p nw-cli
nw=$root/target/release/nw

mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

algorithm=()
if "$nw" bandwidth --help | grep -q -- '--algorithm'; then
    algorithm=(--algorithm auto)
fi

echo "# nw sweep scale runs"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) logical CPUs)"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "algorithm flag: ${algorithm[*]:-none, the default of the binary}"
echo "per-command limit: ${limit} s"

# Runs one command under GNU time and the limit; prints its wall time, peak RSS, exit status,
# its stdout (unless it writes a file) and its stderr.
run() {
    local label=$1
    shift
    local out=$work/out.txt err=$work/err.txt timing=$work/time.txt status=0
    echo
    echo "## $label"
    echo "\$ nw ${*:2}"
    /usr/bin/time -v -o "$timing" timeout "$limit" "$@" >"$out" 2>"$err" || status=$?
    local wall rss
    wall=$(sed -n 's/^\s*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$timing")
    rss=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$timing")
    if [ "$status" -eq 124 ]; then
        echo "stopped after the ${limit} s limit (wall ${wall})"
    else
        echo "exit ${status}; wall ${wall}; peak RSS $((${rss:-0} / 1024)) MiB"
    fi
    if [ -s "$out" ]; then
        echo "stdout:"
        sed 's/^/    /' "$out" | head -20
    fi
    if [ -s "$err" ]; then
        echo "stderr:"
        sed 's/^/    /' "$err" | head -20
    fi
}

qfile=$work/queries.csv
run "generate ${queries} queries" "$nw" generate --n-train "$queries" --seed 8 --train-out "$qfile" -q
for n in "${sizes[@]}"; do
    train=$work/train-$n.csv
    run "generate ${n} rows" "$nw" generate --n-train "$n" --seed 7 --train-out "$train" -q
    echo "file: $(du -h "$train" | cut -f1)"
    for kernel in epanechnikov gaussian; do
        run "bandwidth ${kernel}, ${n} rows" \
            "$nw" bandwidth --train "$train" --kernel "$kernel" "${algorithm[@]}"
    done
    for kernel in gaussian epanechnikov; do
        run "predict ${kernel} h ${h}, ${n} rows x ${queries} queries" \
            "$nw" predict --train "$train" --query "$qfile" --bandwidth "$h" \
            --kernel "$kernel" --out "$work/predictions.csv" "${algorithm[@]}"
    done
    rm -f "$train" "$work/predictions.csv"
done
echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
