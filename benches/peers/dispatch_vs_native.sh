#!/usr/bin/env bash
# Issue 14, side by side: the vector kernels chosen at run time in a default build (no
# RUSTFLAGS) against a baseline commit built for this CPU (`-C target-cpu=native`, the old way).
#
# Usage: benches/peers/dispatch_vs_native.sh <baseline-commit>
#
# Checks the baseline out in a temporary `git worktree` and builds the criterion benches
# `pool` (groups exp, pool, loo), `bandwidth`, `softmax` and `matmul` (group bmm) twice, each
# side in its own target folder under target/dispatch-vs-native/ (kept, so a second run
# rebuilds little): the baseline with RUSTFLAGS="-C target-cpu=native", this checkout (its
# working tree, as it is) with every RUSTFLAGS variable removed. Then it runs our rows (ids
# `<group>/<shape>/ours/<1|2>t`, each on 1 and 2 threads) for ROUNDS rounds, alternating
# which side goes first (A B, B A, ...), keeps each side's best median per id over the rounds
# and prints a markdown table: the baseline's time, the dispatched time, their ratio
# (dispatched / native) and whether it is within 10%. Exits 1 when a row is over.
#
# Environment:
#   ROUNDS   rounds of both sides (default 3)
#   BENCH_GROUPS  the groups to run, space-separated (default "exp pool loo bandwidth softmax bmm")
#   IDS      regex for the rest of the id after `<group>/` (default `[^/]+/ours/[12]t$`),
#            e.g. IDS='65536/ours/1t$' BENCH_GROUPS=exp for a one-row trial
#   WARM_UP, MEASURE, SAMPLES   criterion's --warm-up-time, --measurement-time (seconds) and
#            --sample-size (defaults 0.5, 2, 10; a group that sets its own sample size keeps it)
#   MAX_RATIO  the ratio a row may reach (default 1.10)
#   SIMD     NW_SIMD for the dispatched side (avx512, avx2 or baseline; default unset: the
#            CPU's best). NW_SIMD from the caller's environment is removed from both sides.
#
# Time: the full set is about 2 minutes per side and round on a 2-core machine (the
# `bandwidth` 20000 rows alone take 40 s: ten whole searches of 1.4 to 2.7 s), so about 12
# minutes for 3 rounds, plus the two builds when cold (about 4 minutes each). Each bench
# binary also checks its sides agree before timing (the `pool` target materializes the
# 2000 x 200,000 weight matrix, 1.6 GB), whatever the filter.
#
# Needs: git, cargo, jq.

set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 <baseline-commit>" >&2
    exit 2
fi
command -v jq >/dev/null || { echo "dispatch_vs_native.sh: needs jq" >&2; exit 2; }

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
baseline=$(git rev-parse --verify --quiet "$1^{commit}") \
    || { echo "dispatch_vs_native.sh: not a commit: $1" >&2; exit 2; }
rounds=${ROUNDS:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "dispatch_vs_native.sh: ROUNDS must be a whole number from 1, got $rounds" >&2; exit 2; }
# Not GROUPS: bash keeps the user's group ids in that name and ignores assignments to it.
groups=${BENCH_GROUPS:-exp pool loo bandwidth softmax bmm}
ids=${IDS:-'[^/]+/ours/[12]t$'}
max_ratio=${MAX_RATIO:-1.10}
criterion_args=(--warm-up-time "${WARM_UP:-0.5}" --measurement-time "${MEASURE:-2}"
    --sample-size "${SAMPLES:-10}")

# Each bench target and the groups it runs.
declare -A target_groups=([pool]="exp pool loo" [bandwidth]="bandwidth" [softmax]="softmax"
    [matmul]="bmm")

out=$root/target/dispatch-vs-native
work=$(mktemp -d)
tree=$work/baseline
cleanup() {
    git -C "$root" worktree remove --force "$tree" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
git worktree add --quiet --detach "$tree" "$baseline"

# The flags each side is built with, and nothing else from the caller's environment.
clean_env=(env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS
    -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR -u NW_SIMD)

# build SIDE DIR [RUSTFLAGS]: builds the bench targets of the checkout in DIR into
# $out/SIDE and writes each target's executable to $out/SIDE.bins (`target path` lines).
build() {
    local side=$1 dir=$2 flags=${3:-}
    local cmd=("${clean_env[@]}")
    [ -n "$flags" ] && cmd+=(RUSTFLAGS="$flags")
    local targets=()
    for t in "${!target_groups[@]}"; do targets+=(--bench "$t"); done
    echo "== $side: ${flags:+RUSTFLAGS=\"$flags\" }cargo bench --no-run (in $dir)" >&2
    (cd "$dir" && "${cmd[@]}" cargo bench --package nw-bench "${targets[@]}" --no-run \
        --target-dir "$out/$side" --message-format json-render-diagnostics) \
        | jq -r 'select(.reason == "compiler-artifact" and .executable != null
                        and (.target.kind | index("bench")))
                 | "\(.target.name) \(.executable)"' >"$out/$side.bins"
}

mkdir -p "$out"
build native "$tree" "-C target-cpu=native"
build dispatched "$root"

# The filter of a target: its selected groups, then IDS; empty when none is selected.
filter() {
    local chosen=()
    for g in ${target_groups[$1]}; do
        [[ " $groups " == *" $g "* ]] && chosen+=("$g")
    done
    [ ${#chosen[@]} -gt 0 ] || return 0
    local IFS='|'
    echo "^(${chosen[*]})/$ids"
}

results=$out/results.tsv
: >"$results"
# run SIDE ROUND: every selected target of SIDE once; appends `side round id median_ns`.
run() {
    local side=$1 round=$2 home=$out/$1/criterion
    while read -r target bin; do
        local f
        f=$(filter "$target")
        [ -n "$f" ] || continue
        local stamp=$work/stamp
        touch "$stamp"
        echo "== round $round, $side: $target '$f'" >&2
        local simd=()
        [ "$side" = dispatched ] && [ -n "${SIMD:-}" ] && simd=(NW_SIMD="$SIMD")
        (cd "$root/benches" && "${clean_env[@]}" "${simd[@]}" CRITERION_HOME="$home" \
            "$bin" --bench "$f" "${criterion_args[@]}" </dev/null >&2)
        # In the order they were written: the benches' order.
        find "$home" -path '*/new/estimates.json' -newer "$stamp" -printf '%T@ %p\n' \
            | sort -n | cut -d' ' -f2- | while read -r est; do
            local id median
            id=$(jq -r .full_id "$(dirname "$est")/benchmark.json")
            median=$(jq -r .median.point_estimate "$est")
            printf '%s\t%s\t%s\t%s\n' "$side" "$round" "$id" "$median" >>"$results"
        done
    done <"$out/$side.bins"
}

echo "# dispatch vs native"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "baseline (native): $(git log -1 --format='%h %s' "$baseline" | cut -c1-90)"
echo "dispatched (no RUSTFLAGS): $(git rev-parse --short HEAD) plus the working tree$(git diff --quiet HEAD || echo ' (modified)')"
echo "dispatched NW_SIMD: ${SIMD:-unset}"
if grep -qs 'target-cpu' .cargo/config.toml; then
    echo "note: this checkout's .cargo/config.toml sets a target-cpu, so its build is not a default one"
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) logical CPUs)"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "criterion: ${criterion_args[*]}; $rounds rounds, best median per id"
started=$SECONDS
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=(native dispatched); else order=(dispatched native); fi
    for side in "${order[@]}"; do run "$side" "$r"; done
done
echo "measured in $((SECONDS - started)) s; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# The best median per side and id, then the table in the benches' order.
awk -F'\t' -v max="$max_ratio" '
    function shown(ns) {
        if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
        if (ns >= 1e6) return sprintf("%.2f ms", ns / 1e6)
        return sprintf("%.1f µs", ns / 1e3)
    }
    {
        key = $3 SUBSEP $1
        if (!(key in best) || $4 < best[key]) best[key] = $4
        if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
    }
    END {
        print "| id | native baseline | dispatched | ratio | verdict |"
        print "|---|---:|---:|---:|---|"
        over = 0
        for (i = 1; i <= n; i++) {
            id = order[i]
            a = best[id, "native"]; b = best[id, "dispatched"]
            if (a == "" || b == "") {
                printf "| %s | %s | %s | — | one side missing |\n", id, \
                    (a == "" ? "—" : shown(a)), (b == "" ? "—" : shown(b))
                over++
                continue
            }
            ratio = b / a
            verdict = ratio <= max ? "OK" : sprintf("over (> %s)", max)
            if (ratio > max) over++
            printf "| %s | %s | %s | %.3f | %s |\n", id, shown(a), shown(b), ratio, verdict
        }
        if (n == 0) print "| (no results: check BENCH_GROUPS and IDS) | | | | |"
        exit (over > 0 || n == 0)
    }' "$results" || { echo; echo "some rows are over $max_ratio or missing"; exit 1; }
