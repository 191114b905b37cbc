#!/usr/bin/env bash
# Builds hookwire's Debian packages from the working tree: copies the source
# (git-tracked and untracked-but-not-ignored files, as they are now) into a temp
# dir with packaging/debian/ as debian/, runs dpkg-buildpackage -b there, and
# leaves the three .debs (libhookwire0, libhookwire-dev, hookwire) in OUTDIR
# (default build-deb/), printing their paths, hookwire's last: the hooks and the
# command need no libhookwire0, so that one package is all a machine needs to run
# containers with hookwire.
# Usage: packaging/build-deb.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
root=$PWD
. scripts/deps.sh

if [ "$(id -u)" = 0 ]; then
  install_deps build deb
elif ! command -v dh >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then
  echo "packaging/build-deb.sh: run me as root (to install debhelper and dpkg-dev), or install them first" >&2
  exit 2
fi

out=${1:-build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -1)
[ -n "$version" ] || { echo "packaging/build-deb.sh: no project version in meson.build" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hookwire-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/hookwire-$version
mkdir "$src"

# The source: what git knows of (tracked, or new and not ignored), skipping files
# deleted in the working tree; without git, the tree minus build dirs.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
    done |
    tar --null -T - -cf - | tar -xf - -C "$src"
else
  tar --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
rm -rf "$src/debian"
cp -a packaging/debian "$src/debian"

# The package version follows meson.build: when the changelog is behind, the copy
# gets an entry for this build (the tree's changelog is left alone).
deb_version=$(cd "$src" && dpkg-parsechangelog -S Version)
if [ "$deb_version" != "$version" ]; then
  maintainer=$(cd "$src" && dpkg-parsechangelog -S Maintainer)
  {
    printf 'hookwire (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Built from the working tree.\n\n'
    printf ' -- %s  %s\n\n' "$maintainer" "$(date -R)"
    cat "$src/debian/changelog"
  } >"$src/debian/changelog.new"
  mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

# Both cores (or what DEB_BUILD_OPTIONS says): without parallel=N debhelper runs ninja -j1.
case " ${DEB_BUILD_OPTIONS:-} " in
  *" parallel="*) ;;
  *) DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$(nproc)"; export DEB_BUILD_OPTIONS ;;
esac

echo "==> dpkg-buildpackage -b -uc -us in $src" >&2
(cd "$src" && dpkg-buildpackage -b -uc -us) >"$work/build.log" 2>&1 || {
  tail -60 "$work/build.log" >&2
  cp "$work/build.log" "$out/build.log"
  echo "packaging/build-deb.sh: dpkg-buildpackage failed; log in $out/build.log" >&2
  exit 1
}
cp "$work/build.log" "$out/build.log"

shopt -s nullglob
rm -f "$out"/libhookwire0_*.deb "$out"/libhookwire-dev_*.deb "$out"/hookwire_*.deb
for package in libhookwire0 libhookwire-dev hookwire; do
  debs=("$work/${package}_"*.deb)
  [ ${#debs[@]} -eq 1 ] || { echo "packaging/build-deb.sh: expected one ${package}_*.deb, got ${#debs[@]}" >&2; exit 1; }
  cp "${debs[0]}" "$out/"
  echo "$out/$(basename "${debs[0]}")"
done
