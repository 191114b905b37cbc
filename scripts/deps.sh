# Sourced by the scripts: installs the Debian packages a task needs, once.
# Usage: install_deps build [runtime] [test] [bench] [fuzz]

_hookwire_packages() {
  local group
  for group in "$@"; do
    case "$group" in
      build) echo "g++ meson ninja-build pkg-config nlohmann-json3-dev libboost-dev \
                   libboost-program-options-dev libboost-filesystem-dev libnl-3-dev libnl-route-3-dev libnl-nf-3-dev \
                   doctest-dev libldns-dev libssl-dev" ;;
      runtime) echo "runc crun podman busybox-static iproute2 jq util-linux nftables" ;;
      test) echo "clang-format iproute2 jq file util-linux python3 procps nftables conntrack" ;;
      bench) echo "containernetworking-plugins gnuplot-nox time python3 iproute2 util-linux netavark iperf3 aardvark-dns dnsperf" ;;
      fuzz) echo "clang libclang-rt-14-dev" ;;
      deb) echo "build-essential debhelper dpkg-dev fakeroot lintian" ;;
    esac
  done
}

install_deps() {
  local wanted missing=()
  wanted=$(_hookwire_packages "$@")
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
