#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of Fuzz/ (see Fuzz/README.md).
#
#   Fuzz/run.sh [run] [TARGET…]     build, then fuzz each target (all by default) for FUZZ_SECONDS
#   Fuzz/run.sh build               build only
#   Fuzz/run.sh repro TARGET FILE…  run TARGET once on each FILE (a crash reproducer, a seed)
#   Fuzz/run.sh seeds               regenerate the committed seed corpora
#
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_ARGS (extra libFuzzer flags, e.g.
# "-jobs=2 -workers=2" or "-seed=1"), SWIFT (default swift).
#
# Each run fuzzes a scratch copy of corpus/TARGET under .build/fuzz-work/TARGET, so the committed
# corpus never grows; crash, timeout and OOM reproducers land in .build/fuzz-work/TARGET/artifacts/.
# The exit status is non-zero if any target found something; every reproducer path is printed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_ARGS=${FUZZ_ARGS:-}
# libFuzzer and AddressSanitizer report crashes (stack, reproducer); Swift's own backtracer would race
# them (and trips ASan itself). SWIFT_BACKTRACE=enable=yes brings it back.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
scratch="$here/.build"
targets_all=(fuzz-snapshot fuzz-keys-cache fuzz-ssh-key fuzz-scim-filter fuzz-scim-patch)

# Longest input per target: a little over what the parser accepts or a real file needs, so the
# size limits themselves are exercised without wasting time on huge inputs.
max_len() {
    case $1 in
        fuzz-ssh-key) echo 8448 ;;       # SSHPublicKey.maximumLineLength is 8192
        fuzz-keys-cache) echo 16384 ;;   # the header must fit in 4096 bytes; seeds are < 8 KB
        fuzz-snapshot) echo 32768 ;;     # seeds are < 16 KB; the default policy alone is ~2 KB
        fuzz-scim-filter) echo 5000 ;;   # FilterParser.maximumLength is 4096
        fuzz-scim-patch) echo 16384 ;;   # real Okta/Entra PATCH bodies are < 4 KB
        *) echo 4096 ;;
    esac
}

build() {
    # -sanitize=fuzzer on every Swift module gives the code under test (SunkModel, SunkSnapshot,
    # AuthorizedKeys, from the parent package) coverage instrumentation and links libFuzzer; C
    # dependencies (BoringSSL under swift-crypto) build normally.
    local product
    for product in "$@"; do
        "$SWIFT" build -c release --package-path "$here" --scratch-path "$scratch" \
            -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "$product" 2>&1 \
            | sed -e "/found 1 file(s) which are unhandled/d" -e "/CMakeLists.txt$/d" -e "/Cannot export local symbol/d"
    done
}

bin() { echo "$scratch/release/$1"; }

run_target() {
    local target=$1 work="$scratch/fuzz-work/$1"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$here/corpus/$target/"* "$work/corpus/"
    local dict=() status=0
    [[ -f "$here/dict/$target.dict" ]] && dict=(-dict="$here/dict/$target.dict")
    echo "== $target: ${FUZZ_SECONDS}s, -max_len=$(max_len "$target"), corpus $(ls "$work/corpus" | wc -l) seeds"
    # shellcheck disable=SC2086
    "$(bin "$target")" -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$target")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" $FUZZ_ARGS \
        "$work/corpus" >"$work/log" 2>&1 || status=$?
    # The last status line: coverage (cov: edges, ft: features), corpus and executions per second.
    grep -E '^#[0-9]+' "$work/log" | tail -1 | sed "s/^/   $target /" || true
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec):' "$work/log" | sed "s/^/   /" || true
    local found
    found=$(find "$work/artifacts" -type f | sort)
    if [[ $status -ne 0 || -n "$found" ]]; then
        echo "!! $target FAILED (exit $status); log: $work/log"
        grep -E -m5 'Fatal error|ERROR: |SUMMARY:' "$work/log" | sed 's/^/   /' || true
        for f in $found; do
            echo "!! reproducer: $f   (replay: Fuzz/run.sh repro $target $f)"
        done
        return 1
    fi
}

cmd=${1:-run}
case $cmd in
    build)
        build "${targets_all[@]}"
        ;;
    repro)
        [[ $# -ge 3 ]] || { echo "usage: $0 repro TARGET FILE..." >&2; exit 2; }
        target=$2; shift 2
        build "$target"
        exec "$(bin "$target")" -runs=1 "$@"
        ;;
    seeds)
        bash "$here/make-ssh-key-seeds.sh"
        build fuzz-seeds
        FUZZ_DIR="$here" "$(bin fuzz-seeds)"
        du -sh "$here/corpus"
        ;;
    run | fuzz-*)
        [[ $cmd == run ]] && shift || true
        targets=("$@")
        [[ ${#targets[@]} -gt 0 ]] || targets=("${targets_all[@]}")
        build "${targets[@]}"
        failed=0
        for t in "${targets[@]}"; do
            run_target "$t" || failed=1
        done
        if [[ $failed -ne 0 ]]; then
            echo "fuzzing found crashes; see the reproducers above and Fuzz/README.md" >&2
            exit 1
        fi
        echo "fuzzing: no crash in ${#targets[@]} target(s), ${FUZZ_SECONDS}s each"
        ;;
    *)
        echo "usage: $0 [run] [TARGET...] | build | repro TARGET FILE... | seeds" >&2
        exit 2
        ;;
esac
