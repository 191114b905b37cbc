# Sourced by tests/e2e/lib.sh and tests/integration/stages/lib.sh, which define
# STATE_DIR and expect_eq: what hookwire may have left behind, and the check that
# it left nothing.
# What hookwire may have left: host links made by hookwire (hw*), leases, records,
# per-id lock files.
host_links() { ip -j link show | jq -r '.[].ifname' | grep -E '^hw' || true; }
lease_count() { find "$STATE_DIR/ipam" -mindepth 2 -not -name '.*' 2>/dev/null | wc -l; }
record_count() { find "$STATE_DIR/ledger" -name '*.json' -not -name '.*' 2>/dev/null | wc -l; }
lock_count() { find "$STATE_DIR/locks" -type f 2>/dev/null | wc -l; }

expect_nothing_left() {
  expect_eq "host links left" "$(host_links | tr '\n' ' ')" ""
  expect_eq "leases left" "$(lease_count)" 0
  expect_eq "records left" "$(record_count)" 0
  expect_eq "lock files left" "$(lock_count)" 0
}
