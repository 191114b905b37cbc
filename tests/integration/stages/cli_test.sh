#!/usr/bin/env bash
# The hookwire command's validate, check, install and hooks-dir, and its usage errors.
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

# validate config --print: the modelled fields, as runc writes them, on one line.
case_validate_config_print() {
  # A config that has every modelled field comes back byte for byte (plus a newline).
  "$HOOKWIRE" validate config --print "$DATA/config-all-fields.json" >"$WORK/all.json"
  cmp -s "$WORK/all.json" <(cat "$DATA/config-all-fields.json"; echo) ||
    fail "all fields: $(diff <(cat "$DATA/config-all-fields.json"; echo) "$WORK/all.json")"
  # runc's own config loses what hookwire does not model, and printing is stable.
  "$HOOKWIRE" validate config --print "$DATA/runc-1.1.5-config.json" >"$WORK/runc.json"
  expect_eq "one line" "$(wc -l <"$WORK/runc.json")" 1
  expect_eq "runc's order, modelled keys only" "$(jq -c keys_unsorted "$WORK/runc.json")" \
    '["parent_death_signal","rootfs","namespaces","networks","routes","Hooks","version","labels"]'
  "$HOOKWIRE" validate config --print "$WORK/runc.json" >"$WORK/again.json"
  cmp -s "$WORK/runc.json" "$WORK/again.json" || fail "printing the printed config changed it"
  # Go's encoding: key order, null for an empty list, HTML characters escaped.
  printf '{"labels":["a<b>&c"],"cgroups":{"x":1},"routes":[],"rootfs":"/r"}' >"$WORK/small.json"
  expect_eq "Go's bytes" "$("$HOOKWIRE" validate config --print "$WORK/small.json")" \
    '{"parent_death_signal":0,"rootfs":"/r","namespaces":null,"networks":null,"routes":null,"Hooks":{"createContainer":null,"createRuntime":null,"poststart":null,"poststop":null,"prestart":null,"startContainer":null},"version":"","labels":["a\u003cb\u003e\u0026c"]}'
  # An invalid config prints only its problems.
  printf '{"networks":[{"type":"veth","mtu":9}]}' >"$WORK/bad.json"
  local code=0
  "$HOOKWIRE" validate config --print "$WORK/bad.json" >"$WORK/out" 2>"$WORK/err" || code=$?
  expect_eq "invalid: exit" "$code" 2
  expect_eq "invalid: nothing on stdout" "$(cat "$WORK/out")" ""
  grep -q '^hookwire: .*/bad.json: networks\[0\]' "$WORK/err" || fail "invalid: $(cat "$WORK/err")"
  code=0
  "$HOOKWIRE" validate profile --print "$WORK/bad.json" 2>"$WORK/err" || code=$?
  expect_eq "--print with profile: exit" "$code" 2
  expect_eq "--print with profile: message" "$(cat "$WORK/err")" \
    "hookwire: validate: --print is for 'validate config FILE' only"
}

# check ID built a path from ID without the hooks' rule: "../../x" read a file
# outside the ledger as a record.
case_check_hostile_id() {
  mkdir -p "$STATE_DIR/ledger"
  chmod 0700 "$STATE_DIR"
  printf '{"id":"x"}' >"$WORK/outside.json"
  local id code rule="is not a valid container id (1-128 of A-Z a-z 0-9 _ + , . -, not starting with '.')"
  for id in ../../outside ../../etc/passwd a/b .hidden "$(printf 'a\nb')" "$(printf '%0129d' 0)"; do
    code=0
    "$HOOKWIRE" check "$id" --state-dir "$STATE_DIR" >"$WORK/out" 2>"$WORK/err" || code=$?
    expect_eq "check '$id': exit" "$code" 2
    expect_eq "check '$id': stdout" "$(cat "$WORK/out")" ""
    expect_eq "check '$id': one line" "$(wc -l <"$WORK/err")" 1
    grep -qF -- "$rule" "$WORK/err" || fail "check '$id': $(cat "$WORK/err")"
  done
  "$HOOKWIRE" check ../../etc/passwd 2>"$WORK/err" || true
  expect_eq "the hooks' wording" "$(cat "$WORK/err")" "hookwire: check: \"../../etc/passwd\" $rule"
  # A valid id without a record is still "no record", not a path problem.
  code=0
  "$HOOKWIRE" check c1 --state-dir "$STATE_DIR" 2>"$WORK/err" || code=$?
  expect_eq "unknown id: exit" "$code" 2
  grep -q "no record" "$WORK/err" || fail "unknown id: $(cat "$WORK/err")"
}

# Every command reads its line the same way: --help, and one-line errors with exit 2.
case_every_command_has_help_and_one_line_errors() {
  local command code
  for command in hook validate ls check gc install hooks-dir version help; do
    "$HOOKWIRE" "$command" --help >"$WORK/out" || fail "$command --help: exit $?"
    grep -q "^Usage: hookwire $command" "$WORK/out" || fail "$command --help: $(head -3 "$WORK/out")"
    grep -q -- "--help" "$WORK/out" || fail "$command --help lists no --help"
    code=0
    "$HOOKWIRE" "$command" --no-such-option >/dev/null 2>"$WORK/err" || code=$?
    expect_eq "$command --no-such-option: exit" "$code" 2
    expect_eq "$command --no-such-option: message" "$(cat "$WORK/err")" \
      "hookwire: $command: unrecognised option '--no-such-option'"
  done
  "$HOOKWIRE" --help | grep -q '^Usage: hookwire COMMAND' || fail "hookwire --help"
  expect_eq "--version" "$("$HOOKWIRE" --version)" "$("$HOOKWIRE" version)"
  code=0
  "$HOOKWIRE" --no-such-option 2>"$WORK/err" || code=$?
  expect_eq "top-level bad option: exit" "$code" 2
  expect_eq "top-level bad option: message" "$(cat "$WORK/err")" "hookwire: unrecognised option '--no-such-option'"
  code=0
  "$HOOKWIRE" ls extra 2>"$WORK/err" || code=$?
  expect_eq "an operand ls does not take: exit" "$code" 2
  expect_eq "one line" "$(wc -l <"$WORK/err")" 1
}

# The startContainer gate runs inside the container after pivot_root: a host
# --log-file (or state or config dir) means nothing there, so install gives it none.
case_install_gives_the_gate_no_host_paths() {
  local bundle=$WORK/bundle c=$WORK/bundle/config.json stage
  mkdir -p "$bundle"
  echo '{"ociVersion":"1.0.2"}' >"$c"
  "$HOOKWIRE" install --bundle "$bundle" --libexec /opt/hw --log-file /var/log/hw.log --state-dir /run/x \
    --config-dir /etc/x
  for stage in prestart createRuntime createContainer poststart poststop; do
    expect_eq "$stage args" "$(jq -c ".hooks.$stage[0].args[1:]" "$c")" \
      '["--state-dir","/run/x","--config-dir","/etc/x","--log-file","/var/log/hw.log"]'
  done
  expect_eq "the gate's args" "$(jq -c '.hooks.startContainer[0].args' "$c")" '["hookwire-start-container"]'
  expect_eq "timeouts" "$(jq -c '[.hooks[][0].timeout]' "$c")" '[10,10,10,10,5,10]'
}

case_install_is_idempotent_and_keeps_what_was_there() {
  local bundle=$WORK/bundle
  mkdir -p "$bundle"
  cat >"$bundle/config.json" <<'JSON'
{"ociVersion":"1.0.2-dev","process":{"args":["sh"]},"root":{"path":"rootfs"},
 "hooks":{"prestart":[{"path":"/usr/bin/theirs","args":["theirs"]}]},
 "annotations":{"keep":"me"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}]}
JSON
  chmod 0640 "$bundle/config.json"
  "$HOOKWIRE" install --bundle "$bundle" --network web --libexec /opt/hw --state-dir /run/x
  expect_eq "config.json keeps its mode" "$(stat -c %a "$bundle/config.json")" 640
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
  expect_eq "no temp file left" "$(ls -A "$bundle")" config.json
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
  expect_eq "readable by all" "$(stat -c %a "$f")" 644
}

run_case "$@"
