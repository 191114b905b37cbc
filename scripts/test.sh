#!/usr/bin/env bash
# Installs what the suites need, builds the Debian packages and checks them
# (lintian, and the library as a user links it), builds, runs every suite (unit,
# integration, e2e, the soak, then unit and integration again under ASan+UBSan,
# then the fuzzers for a minute), builds what users and packagers build (GCC
# release and plain, clang), and ends with the line "N passed, N failed[, N
# skipped]" counted from meson's own results (and scripts/fuzz.sh's, one per
# harness, and one per package check); a build that fails counts as one failure.
# Every build here treats warnings as errors (-Dwerror=true): the project's
# defaults do not, so that a new compiler's new warning never breaks a user's build.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
. scripts/deps.sh

if [ "$(id -u)" != 0 ]; then
  echo "scripts/test.sh: run me as root: the integration and e2e suites need it" >&2
  exit 2
fi
install_deps build runtime test deb fuzz

logs=()
run_build() {  # run_build DIR "MESON OPTIONS" SUITES...
  local dir=$1 opts=$2
  shift 2
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" $opts >/dev/null || return 1
  else
    meson setup "$dir" $opts >/dev/null || return 1
  fi
  echo "==> building $dir"
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
  local suite args=()
  for suite in "$@"; do args+=(--suite "$suite"); done
  echo "==> testing $dir: $*"
  rm -f "$dir/meson-logs/testlog.json"
  # Failures are counted from the log below, not from meson's exit code.
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${args[@]}" || true
  logs+=("$dir/meson-logs/testlog.json")
}

# Builds DIR with OPTIONS (and $CXX, when set, at setup), and nothing more: no tests.
build_only() {  # build_only DIR "MESON OPTIONS"
  local dir=$1 opts=$2
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" $opts >/dev/null || return 1
  else
    meson setup "$dir" $opts >"$dir.setup.log" 2>&1 || { tail -20 "$dir.setup.log"; return 1; }
  fi
  echo "==> building $dir (build only)"
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
}

# Sanitizer reports fail the run: UBSan stops at the first one, LSan is on.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=23

failed_builds=0

# The Debian packages. hookwire's (build-deb.sh prints it last) is for the e2e
# case that installs it and runs podman with the hooks.d files it puts in
# podman's default directory; it needs no libhookwire0.
echo "==> building the Debian packages"
package_results=build-deb/package-results.json
if deb=$(packaging/build-deb.sh build-deb 2>build-deb.log | tail -1) && [ -f "$deb" ]; then
  HOOKWIRE_DEB=$(readlink -f "$deb")
  export HOOKWIRE_DEB
  # Two results: lintian with no error and no warning, and check-dev.sh (the
  # library's exports, a program linked against it dynamically and statically).
  : >"$package_results"
  echo "==> lintian"
  result=OK
  lintian --fail-on error,warning build-deb/libhookwire0_*.deb build-deb/libhookwire-dev_*.deb \
    build-deb/hookwire_*.deb || { result=FAIL; echo "lintian: FAILED (errors or warnings above)"; }
  printf '{"name": "lintian", "result": "%s"}\n' "$result" >>"$package_results"
  echo "==> checking libhookwire-dev as a user links it"
  result=OK
  packaging/check-dev.sh build-deb || result=FAIL
  printf '{"name": "check-dev", "result": "%s"}\n' "$result" >>"$package_results"
  logs+=("$package_results")
else
  tail -30 build-deb.log
  failed_builds=$((failed_builds + 1))
  export HOOKWIRE_DEB=/nonexistent/hookwire.deb  # the e2e case then fails instead of rebuilding
fi

# One C++ style (.clang-format), checked on every C++ file of the tree; one result.
echo "==> clang-format"
result=OK
mapfile -t cxx_sources < <(git ls-files '*.cpp' '*.h' | grep -E '^(lib|hooks|cli|tests|bench)/')
clang-format --dry-run --Werror "${cxx_sources[@]}" || { result=FAIL; echo "clang-format: FAILED (files above)"; }
mkdir -p build-format
printf '{"name": "clang-format", "result": "%s"}\n' "$result" >build-format/results.json
logs+=(build-format/results.json)

run_build build-test "-Dtest_hooks=true -Dbuildtype=debugoptimized -Dwerror=true" unit integration e2e soak ||
  failed_builds=$((failed_builds + 1))
run_build build-asan "-Dtest_hooks=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
  -Dwerror=true -Dcpp_args=-fno-sanitize-recover=all" \
  unit integration || failed_builds=$((failed_builds + 1))

# What users and packagers build: GCC's release and plain (dpkg-buildflags' build
# type) and clang's release, with warnings as errors, without the test suites
# (built and run above) to keep them short.
build_only build-release "-Dbuildtype=release -Dtests=false -Dwerror=true" || failed_builds=$((failed_builds + 1))
build_only build-plain "-Dbuildtype=plain -Dtests=false -Dwerror=true" || failed_builds=$((failed_builds + 1))
CXX=clang++ build_only build-clang "-Dbuildtype=release -Dtests=false -Dwerror=true" ||
  failed_builds=$((failed_builds + 1))

# The libFuzzer harnesses, 60 s in all; each harness counts as one result.
scripts/fuzz.sh 60
logs+=(build-fuzz/fuzz-results.json)

python3 - "$failed_builds" "${logs[@]}" <<'PY'
import json, sys
failed_builds = int(sys.argv[1])
passed = failed = skipped = 0
for path in sys.argv[2:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        result = json.loads(line).get("result", "")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
failed += failed_builds
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
sys.exit(1 if failed else 0)
PY
