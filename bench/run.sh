#!/usr/bin/env bash
# The hookwire benchmarks: wire and unwire latency against the CNI reference
# plugins, the in-process and fork+exec floors, a 1,000-container scale run, 64
# concurrent hooks, and peak RSS (bench.py); then the world: NAT and published ports
# against netavark and CNI bridge+portmap, the firewall step, 1,000 containers with
# published ports, DNAT throughput (world.py); then names: hookwire-dns against
# aardvark-dns (dns.py). Prints tables of medians (min … max) and ratios.
#
#   bench/run.sh              all three (the full runs: under 10 minutes each)
#   bench/run.sh --quick      short runs (under a minute each, once built)
#   bench/run.sh --docs       the full runs, then copies the plots to docs/benchmarks-*.png
#   bench/run.sh --world-only / --no-world    one of the two
#   bench/run.sh --dns-only / --no-dns        the names benchmark (dns.py) alone, or not
#
# Installs what it needs (scripts/deps.sh: build, bench), builds build-bench
# (release), and runs everything in a throwaway network and mount namespace
# (world.py in a fresh network namespace of its own). Results land in bench/results/
# (results.json, table.txt, scale.dat, scale.png; world.json, world-table.txt,
# world-scale.dat, world-scale.png; dns.json, dns-table.txt, dns.png). HOOKWIRE_BENCH_BUILD
# and HOOKWIRE_BENCH_RESULTS name another build dir and results dir.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD
BUILD=${HOOKWIRE_BENCH_BUILD:-$ROOT/build-bench}
RESULTS=${HOOKWIRE_BENCH_RESULTS:-$ROOT/bench/results}

mode=full docs=0 world=yes dns=yes extra=()
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --docs) docs=1 ;;
    --world-only) world=only ;;
    --no-world) world=no ;;
    --dns-only) dns=only ;;
    --no-dns) dns=no ;;
    --no-variants|--no-disk) extra+=("$arg") ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "${HOOKWIRE_BENCH_INSIDE:-}" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench/run.sh: run me as root: the benchmarks create namespaces, links and bridges" >&2
    exit 2
  fi
  . scripts/deps.sh
  install_deps build bench
  # werror=false: GCC 12 at -O3 reports a false -Wrestrict in std::string
  # concatenation (GCC bug 105329), which stops a release build with -Werror.
  if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" -Dbuildtype=release -Dtests=false -Dwerror=false >/dev/null
  fi
  targets=(hooks/hookwire-create-runtime hooks/hookwire-poststop hooks/hookwire-prestart
           hooks/hookwire-poststart hooks/hookwire-create-container hooks/hookwire-start-container
           hooks/hookwire-dns bench/hookwire-bench-floor bench/hookwire-bench-netns-holder)
  case " ${extra[*]-} $world $dns " in
    *" --no-variants "*|*" only "*) ;;
    *) targets+=(bench/hookwire-create-runtime-libstatic bench/hookwire-create-runtime-dynamic
                 bench/hookwire-poststop-libstatic bench/hookwire-poststop-dynamic) ;;
  esac
  echo "==> building ${targets[*]##*/} in $BUILD" >&2
  ninja -C "$BUILD" "${targets[@]}" >"$BUILD.bench-build.log" 2>&1 || { tail -30 "$BUILD.bench-build.log"; exit 1; }
  # A throwaway netns and a private mount namespace: nothing leaks to the host.
  HOOKWIRE_BENCH_INSIDE=1 exec unshare -n -m --propagation private -- "$0" "$@"
fi

# Inside the throwaway namespaces. Syslog goes nowhere here unless /dev/log exists;
# the hooks log as they always do.
# --dns-only runs dns.py alone (with --world-only as well: world.py and dns.py).
run_bench=yes run_world=yes
[ "$world" = only ] && run_bench=no
[ "$world" = no ] && run_world=no
if [ "$dns" = only ]; then
  run_bench=no
  [ "$world" = only ] || run_world=no
fi
if [ "$run_bench" = yes ]; then
  /usr/bin/python3 "$ROOT/bench/bench.py" --build "$BUILD" --mode "$mode" --results "$RESULTS" ${extra[@]+"${extra[@]}"}
  if [ "$docs" = 1 ] && [ -f "$RESULTS/scale.png" ]; then
    cp "$RESULTS/scale.png" "$ROOT/docs/benchmarks-scale.png"
    echo "==> wrote docs/benchmarks-scale.png" >&2
  fi
fi
if [ "$run_world" = yes ]; then
  # A fresh netns: the first hook finds no nftables table, as on a fresh host.
  unshare -n -- /usr/bin/python3 "$ROOT/bench/world.py" --build "$BUILD" --mode "$mode" --results "$RESULTS"
  if [ "$docs" = 1 ] && [ -f "$RESULTS/world-scale.png" ]; then
    cp "$RESULTS/world-scale.png" "$ROOT/docs/benchmarks-world.png"
    echo "==> wrote docs/benchmarks-world.png" >&2
  fi
fi
if [ "$dns" != no ] && { [ "$world" != only ] || [ "$dns" = only ]; }; then
  # A fresh netns and mount namespace of its own: it bind-mounts /etc/resolv.conf
  # (naming its stub upstream) for the two resolvers it starts.
  unshare -n -m --propagation private -- /usr/bin/python3 "$ROOT/bench/dns.py" --build "$BUILD" --mode "$mode" \
    --results "$RESULTS"
  if [ "$docs" = 1 ] && [ -f "$RESULTS/dns.png" ]; then
    cp "$RESULTS/dns.png" "$ROOT/docs/benchmarks-dns.png"
    echo "==> wrote docs/benchmarks-dns.png" >&2
  fi
fi
