# Sourced by tests/e2e/lib.sh and tests/integration/stages/lib.sh, which define
# STATE_DIR and expect_eq: what hookwire may have left behind, and the check that
# it left nothing.
# What hookwire may have left: host links made by hookwire (hw*), leases, records,
# per-id lock files, host port leases, and the per-container elements of its
# nftables table (the table itself, its skeleton and its @bridges may stay).
host_links() { ip -j link show | jq -r '.[].ifname' | grep -E '^hw' || true; }
lease_count() { find "$STATE_DIR/ipam" -mindepth 2 -not -name '.*' 2>/dev/null | wc -l; }
record_count() { find "$STATE_DIR/ledger" -name '*.json' -not -name '.*' 2>/dev/null | wc -l; }
lock_count() { find "$STATE_DIR/locks" -type f 2>/dev/null | wc -l; }
# host_port_leases: "tcp-8080->web " for each host port lease, in order.
host_port_leases() {
  { find "$STATE_DIR/ports" -mindepth 1 -not -name '.*' -printf '%f->%l\n' 2>/dev/null || true; } | sort | tr '\n' ' '
}
# firewall_elements [SET]: the elements of the per-container sets and maps of
# table inet hookwire (or of SET alone), one line each: "wild4 [...]". Nothing
# when the table (or nft) is missing.
firewall_elements() {
  command -v nft >/dev/null 2>&1 || return 0
  { nft -j list table inet hookwire 2>/dev/null || true; } |
    jq -r --arg only "${1:-}" '.nftables[]? | (.set // .map // empty)
      | select(.name | test("^(members|nat|isolated|ports|wild)[46]$"))
      | select($only == "" or .name == $only)
      | .name as $set | (.elem // [])[] | "\($set) \(tojson)"'
}

# resolver_pids: the hookwire-dns processes serving this state dir. One that has
# no container left goes away by itself, in a moment: waited for up to 2 s.
resolver_pids() { pgrep -f -- "hookwire-dns --state-dir $STATE_DIR( |\$)" || true; }
no_resolver_left() {
  local _
  for _ in $(seq 100); do
    [ -z "$(resolver_pids)" ] && return 0
    sleep 0.02
  done
  resolver_pids | tr '\n' ' '
}

expect_nothing_left() {
  expect_eq "host links left" "$(host_links | tr '\n' ' ')" ""
  expect_eq "leases left" "$(lease_count)" 0
  expect_eq "records left" "$(record_count)" 0
  expect_eq "lock files left" "$(lock_count)" 0
  expect_eq "host port leases left" "$(host_port_leases)" ""
  expect_eq "firewall elements left" "$(firewall_elements | tr '\n' ' ')" ""
  expect_eq "resolvers left" "$(no_resolver_left)" ""
}
