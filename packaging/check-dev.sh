#!/usr/bin/env bash
# Checks libhookwire0 and libhookwire-dev as someone else's program uses them,
# from the .debs in DEBDIR (packaging/build-deb.sh's OUTDIR), unpacked into a
# temp dir, nothing installed:
# - exports: libhookwire.so exports hookwire's symbols and nothing else (the
#   public API is marked HOOKWIRE_EXPORT; lib/libhookwire.map);
# - dynamic: a program built with `pkg-config --cflags --libs hookwire` links
#   the shared library, catches a hookwire::Error thrown inside it, and runs;
# - static: the same program built fully static with `pkg-config --static`.
# Prints "ok: CHECK" or "FAIL: CHECK ..." per check; exits 1 if any failed.
# Usage: packaging/check-dev.sh DEBDIR
set -uo pipefail

debdir=${1:?usage: packaging/check-dev.sh DEBDIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/hookwire-check-dev.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for package in libhookwire0 libhookwire-dev; do
  debs=("$debdir/${package}_"*.deb)
  [ -f "${debs[0]}" ] || { echo "FAIL: no ${package}_*.deb in $debdir"; exit 1; }
  dpkg-deb -x "${debs[0]}" "$work/root"
done
libdir=$work/root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# The .pc file as installed, with its prefix moved to the unpacked tree.
mkdir "$work/pc"
sed "s|^prefix=/usr\$|prefix=$work/root/usr|" "$libdir/pkgconfig/hookwire.pc" >"$work/pc/hookwire.pc"
export PKG_CONFIG_PATH=$work/pc

foreign=$(nm -D --defined-only "$libdir/libhookwire.so.0" | c++filt | grep -v -E ' (hookwire::|(typeinfo|typeinfo name|vtable) for hookwire::)')
if [ -z "$foreign" ]; then
  echo "ok: exports ($(nm -D --defined-only "$libdir/libhookwire.so.0" | wc -l) symbols, all hookwire::)"
else
  fail "exports: libhookwire.so.0 exports more than hookwire's API:"
  echo "$foreign" | head -20
fi

cat >"$work/user.cpp" <<'EOF'
// A program of someone else's: only the installed headers and the exported API.
#include <hookwire/config.h>
#include <hookwire/error.h>
#include <hookwire/ip.h>
#include <hookwire/profile.h>
#include <hookwire/state.h>

#include <cstdio>

int main() {
  auto state = hookwire::parse_state(R"({"ociVersion":"1.0.2","id":"c1","status":"creating","pid":1,"bundle":"/b"})");
  auto cidr = hookwire::Cidr::parse("10.213.0.7/16");
  auto profile = hookwire::default_profile();
  if (state.id != "c1" || !cidr || cidr->str() != "10.213.0.7/16" || !hookwire::validate(profile).empty()) return 1;
  try {
    hookwire::parse_config("{not json");
  } catch (const hookwire::Error& e) {  // thrown in the library, caught here: its typeinfo is shared
    std::printf("exit code %d\n", e.exit_code());
    return e.exit_code() == 2 ? 0 : 1;
  }
  return 1;
}
EOF

# shellcheck disable=SC2046  # pkg-config's output is a list of words
if ! g++ -std=c++20 -o "$work/user-dynamic" "$work/user.cpp" $(pkg-config --cflags --libs hookwire) \
    >"$work/dynamic.log" 2>&1; then
  fail "dynamic: does not build: $(head -5 "$work/dynamic.log")"
elif ! readelf -d "$work/user-dynamic" | grep -q 'NEEDED.*\[libhookwire\.so\.0\]'; then
  fail "dynamic: not linked against libhookwire.so.0"
elif ! LD_LIBRARY_PATH=$libdir "$work/user-dynamic" >/dev/null; then
  fail "dynamic: the program failed"
else
  echo "ok: dynamic (pkg-config --libs hookwire)"
fi

# shellcheck disable=SC2046
if ! g++ -std=c++20 -static -o "$work/user-static" "$work/user.cpp" $(pkg-config --cflags --static --libs hookwire) \
    >"$work/static.log" 2>&1; then
  fail "static: does not build: $(grep -v 'statically linked applications' "$work/static.log" | head -5)"
elif readelf -d "$work/user-static" 2>/dev/null | grep -q NEEDED; then
  fail "static: the program still needs shared libraries"
elif ! "$work/user-static" >/dev/null; then
  fail "static: the program failed"
else
  echo "ok: static (pkg-config --static --libs hookwire)"
fi

exit $((failed > 0))
