# Sourced by the end-to-end tests (lib.sh) and by scripts/demo.sh: OCI bundles
# of a static busybox, as docs/runtimes.md describes them. Defines functions only.

# json_array ARGS...: ARGS as a JSON array of strings (jq --args would take a
# "-c" among them for its own option).
json_array() { printf '%s\n' "$@" | jq -R . | jq -sc .; }

# edit_spec BUNDLE [JQ OPTIONS...] FILTER: rewrites BUNDLE/config.json through jq.
edit_spec() {
  local bundle=$1
  shift
  jq "$@" "$bundle/config.json" >"$bundle/config.json.new"
  mv "$bundle/config.json.new" "$bundle/config.json"
}

# busybox_bundle DIR HOSTNAME CMD...: a bundle in DIR whose process runs CMD
# (no terminal, writable rootfs), with busybox's applets a network test needs,
# and CAP_NET_RAW, without which busybox ping cannot open its socket.
busybox_bundle() {
  local bundle=$1 hostname=$2 applet
  shift 2
  mkdir -p "$bundle/rootfs/bin" "$bundle"/rootfs/{proc,sys,dev,tmp,etc}
  cp /bin/busybox "$bundle/rootfs/bin/"
  for applet in sh ip ping cat ls sleep true echo hostname; do ln -sf busybox "$bundle/rootfs/bin/$applet"; done
  (cd "$bundle" && runc spec)
  edit_spec "$bundle" --arg hostname "$hostname" --argjson args "$(json_array "$@")" '
    .process.terminal = false | .root.readonly = false | .hostname = $hostname | .process.args = $args
    | .process.capabilities |= (.bounding += ["CAP_NET_RAW"] | .effective += ["CAP_NET_RAW"]
                                | .permitted += ["CAP_NET_RAW"])'
}
