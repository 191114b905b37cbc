#!/usr/bin/env bash
# The hookwire command's validate, install and hooks-dir, and its usage errors.
. "$(dirname "$0")/lib.sh"

DATA=$(cd "$(dirname "$0")/../../unit/data" && pwd)

case_validate() {
  "$HOOKWIRE" validate config "$DATA/runc-1.1.5-config.json" >"$WORK/out" 2>&1 || fail "runc config: $(cat "$WORK/out")"
  expect_eq "valid config prints nothing" "$(cat "$WORK/out")" ""
  echo '{"ociVersion":"1.0","id":"c1","pid":0,"root":"rootfs","bundle":"/","status":"starting"}' |
    "$HOOKWIRE" validate state - || fail "crun's startContainer State"
  printf '{"networks":[{"type":"bridge"},{"type":"veth","mtu":9}],"routes":[{"destination":"10.0.0.0/8","gateway":"fd00::1"}]}' \
    >"$WORK/bad.json"
  local code=0
  "$HOOKWIRE" validate config "$WORK/bad.json" 2>"$WORK/err" || code=$?
  expect_eq "invalid config: exit" "$code" 2
  expect_eq "one line per problem" "$(wc -l <"$WORK/err")" 4
  grep -q '^hookwire: .*/bad.json: networks\[1\].name: ' "$WORK/err" || fail "lines: $(cat "$WORK/err")"
  code=0
  echo '{"id":"a","pid":-1}' >"$WORK/state.json"
  "$HOOKWIRE" validate state "$WORK/state.json" 2>"$WORK/err" || code=$?
  expect_eq "invalid state: exit" "$code" 2
  expect_eq "invalid state: message" "$(cat "$WORK/err")" "hookwire: state: pid: negative (-1)"
  code=0
  "$HOOKWIRE" validate config "$WORK/missing.json" 2>/dev/null || code=$?
  expect_eq "missing file: exit" "$code" 2
  code=0
  "$HOOKWIRE" frobnicate 2>/dev/null || code=$?
  expect_eq "unknown command: exit" "$code" 2
}

case_install_is_idempotent_and_keeps_what_was_there() {
  local bundle=$WORK/bundle
  mkdir -p "$bundle"
  cat >"$bundle/config.json" <<'JSON'
{"ociVersion":"1.0.2-dev","process":{"args":["sh"]},"root":{"path":"rootfs"},
 "hooks":{"prestart":[{"path":"/usr/bin/theirs","args":["theirs"]}]},
 "annotations":{"keep":"me"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}]}
JSON
  "$HOOKWIRE" install --bundle "$bundle" --network web --libexec /opt/hw --state-dir /run/x
  cp "$bundle/config.json" "$WORK/first.json"
  "$HOOKWIRE" install --bundle "$bundle" --network web --libexec /opt/hw --state-dir /run/x
  cmp -s "$bundle/config.json" "$WORK/first.json" || fail "a second install changed config.json"
  local c=$bundle/config.json
  expect_eq "their hook kept first" "$(jq -r '.hooks.prestart[0].path' "$c")" /usr/bin/theirs
  expect_eq "our prestart hook" "$(jq -c '.hooks.prestart[1]' "$c")" \
    '{"path":"/opt/hw/hookwire-prestart","args":["hookwire-prestart","--state-dir","/run/x"],"timeout":10}'
  local stage
  for stage in createRuntime createContainer startContainer poststart poststop; do
    expect_eq "$stage hooks" "$(jq ".hooks.$stage | length" "$c")" 1
  done
  expect_eq "the gate's bind mount" "$(jq -c '.mounts[1]' "$c")" \
    '{"destination":"/opt/hw","type":"bind","source":"/opt/hw","options":["rbind","ro","nosuid","nodev"]}'
  expect_eq "annotations" "$(jq -c '.annotations' "$c")" '{"keep":"me","io.hookwire.network":"web"}'
  local code=0
  "$HOOKWIRE" install --bundle "$bundle" --network ../etc 2>/dev/null || code=$?
  expect_eq "a bad network name: exit" "$code" 2
  cmp -s "$bundle/config.json" "$WORK/first.json" || fail "a refused install changed config.json"
}

case_hooks_dir() {
  "$HOOKWIRE" hooks-dir "$WORK/hooks.d" --libexec /usr/libexec/hookwire
  expect_eq "files" "$(ls "$WORK/hooks.d" | tr '\n' ' ')" \
    "hookwire-create-container.json hookwire-create-runtime.json hookwire-poststart.json hookwire-poststop.json "
  local f=$WORK/hooks.d/hookwire-create-runtime.json
  expect_eq "version" "$(jq -r .version "$f")" 1.0.0
  expect_eq "path" "$(jq -r .hook.path "$f")" /usr/libexec/hookwire/hookwire-create-runtime
  expect_eq "stages" "$(jq -c .stages "$f")" '["createRuntime"]'
  expect_eq "when" "$(jq -c .when "$f")" '{"annotations":{"^io\\.hookwire\\.network$":".*"}}'
}

run_case "$@"
