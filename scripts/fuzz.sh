#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang 14, ASan+UBSan) in build-fuzz and runs each
# one for its share of SECONDS (default 60 in all), starting from its seed corpus in
# tests/fuzz/corpus/NAME/ plus the test fixtures it shares with other tests (below),
# with its dictionary (tests/fuzz/json.dict; ports.dict for ports, dns.dict for the DNS ones). New
# inputs go to build-fuzz/corpus/NAME/, never into the source tree; a crash leaves
# its input in build-fuzz/artifacts/.
#
# Usage: scripts/fuzz.sh [SECONDS] [HARNESS...]   (harnesses: state profile annotations ports dns_query dns_server)
#
# Prints one line per harness, "fuzz NAME: ok, N execs in S s (R execs/s)" or
# "fuzz NAME: FAILED ...", writes them as meson-style results to
# build-fuzz/fuzz-results.json (one JSON object a line, for scripts/test.sh), and
# exits 1 if any harness failed.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
. scripts/deps.sh

total=${1:-60}
shift $(($# > 0 ? 1 : 0))
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(state profile annotations ports dns_query dns_server)
case "$total" in
  '' | *[!0-9]*) echo "scripts/fuzz.sh: SECONDS must be a whole number, not '$total'" >&2; exit 2 ;;
esac

# The longest input each harness is given: room for the seeds (a runc-written
# config is 8 KB, a State with a 10 KiB id), far below the readers' 1 MiB caps;
# for DNS, twice the classic 512-byte datagram: a query is one name of at most
# 255 bytes and an OPT, and longer inputs only add ignored trailing bytes.
declare -A max_len=([state]=16384 [profile]=16384 [annotations]=4096 [ports]=4096 [dns_query]=1024 [dns_server]=1024)
# The dictionary of each harness: JSON for the documents, the grammar for ports,
# the wire format's recurring pieces for DNS.
declare -A dict=([state]=json.dict [profile]=json.dict [annotations]=json.dict [ports]=ports.dict
  [dns_query]=dns.dict [dns_server]=dns.dict)
# Seeds that are fixtures of other tests too: kept once, where those tests read
# them, and copied into build-fuzz/seeds/NAME/ at fuzz time.
declare -A shared_seeds=(
  [profile]="tests/unit/data/runc-1.1.5-config.json tests/unit/data/config-all-fields.json packaging/example.json"
)

build=build-fuzz
results=$build/fuzz-results.json
mkdir -p "$build"
: >"$results"
install_deps build fuzz

record() {  # record NAME OK|FAIL
  printf '{"name": "fuzz-%s", "result": "%s"}\n' "$1" "$2" >>"$results"
}

targets=()
for name in "${harnesses[@]}"; do
  [ -n "${max_len[$name]:-}" ] || { echo "scripts/fuzz.sh: no harness '$name'" >&2; exit 2; }
  targets+=("tests/fuzz/${name}_fuzzer")
done

echo "==> building $build (clang, libFuzzer, ASan+UBSan)"
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ meson setup "$build" -Dfuzzers=true -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Doptimization=1 -Ddebug=true -Dcpp_args=-fno-sanitize-recover=all >"$build.setup.log" 2>&1 ||
    { tail -20 "$build.setup.log"; for name in "${harnesses[@]}"; do record "$name" FAIL; done; exit 1; }
fi
if ! ninja -C "$build" "${targets[@]}" >"$build.build.log" 2>&1; then
  tail -50 "$build.build.log"
  for name in "${harnesses[@]}"; do
    echo "fuzz $name: FAILED (build)"
    record "$name" FAIL
  done
  exit 1
fi

# Findings must stop the harness: UBSan aborts at its first report, LSan is on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
seconds=$((total / ${#harnesses[@]}))
[ "$seconds" -ge 1 ] || seconds=1
failed=0
for name in "${harnesses[@]}"; do
  corpus=$build/corpus/$name
  seeds=$build/seeds/$name
  log=$build/fuzz-$name.log
  rm -rf "$seeds"
  mkdir -p "$corpus" "$seeds" "$build/artifacts"
  # shellcheck disable=SC2086  # a list of paths without spaces
  [ -z "${shared_seeds[$name]:-}" ] || cp ${shared_seeds[$name]} "$seeds/"
  code=0
  "$build/tests/fuzz/${name}_fuzzer" -max_total_time="$seconds" -max_len="${max_len[$name]}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" -dict="tests/fuzz/${dict[$name]}" \
    "$corpus" "tests/fuzz/corpus/$name" "$seeds" >"$log" 2>&1 || code=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ "$code" = 0 ] && [ -n "$execs" ]; then
    echo "fuzz $name: ok, ${execs} execs in ${seconds} s (${rate} execs/s)"
    record "$name" OK
  else
    failed=$((failed + 1))
    echo "fuzz $name: FAILED (exit $code); log $log, artifacts:"
    grep -aE "ERROR|SUMMARY|broken promise|Test unit written" "$log" | head -10
    record "$name" FAIL
  fi
done
exit $((failed > 0))
