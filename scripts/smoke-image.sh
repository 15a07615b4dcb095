#!/usr/bin/env bash
# Smoke test of the sidecar image, i.e. of the OCI archive users load (scripts/build-image.sh),
# run the way Argo CD runs the sidecar: as UID 999, with the environment and volume mounts of
# sidecar/repo-server-patch.yaml (plugin.yaml at cmp-server's config path, an empty /tmp) and
# nothing else writable.
#
#   scripts/smoke-image.sh [ARCHIVE]      (default target/image/argocd-karmada-plugin.oci.tar)
#
# Checks, failing on the first difference:
#   1. the image's defaults: user 999, the overlay's environment, our binary, helm and kubectl;
#   2. `generate` renders every example inside the image to the same bytes as the host's release
#      binary does with the image's own helm and kubectl;
#   3. `cmp run` and `cmp parameters` inside the image (cmp-server's plugin.yaml path, the
#      sidecar's whole environment passed to the plugin as cmp-server does, the repository copied
#      under /tmp as cmp-server unpacks it) give the same manifests and parameter announcements
#      as on the host;
#   4. nothing outside /tmp changed in the container (the overlay sets readOnlyRootFilesystem).
# Needs root and buildah, yq (Debian packages; scripts/build-image.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

archive=${1:-target/image/argocd-karmada-plugin.oci.tar}
patch=sidecar/repo-server-patch.yaml
host_bin=$repo/target/release/argocd-karmada-plugin
# Each check that passed says so with `ok`; the last line counts them as test runners do.
passed=0
ok() {
  passed=$((passed + 1))
  echo "smoke-image: $*"
}
fail() {
  echo "error: smoke-image: $*" >&2
  echo "smoke-image: $passed passed, 1 failed"
  exit 1
}
[ -f "$archive" ] || fail "$archive: not found (run scripts/build-image.sh)"
[ -x "$host_bin" ] || fail "$host_bin: not found (run cargo build --release)"

mkdir -p target/image
work=$(mktemp -d "$repo/target/image/smoke.XXXXXX")
bah() { buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run" "$@"; }
cleanup() {
  [ -z "${mnt:-}" ] || bah umount "$ctr" >/dev/null 2>&1 || true
  bah rm --all >/dev/null 2>&1 || true
  bah rmi --all --force >/dev/null 2>&1 || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

ctr=$(bah from --quiet "oci-archive:$archive")

# The sidecar container as the overlay declares it.
sidecar='.spec.template.spec.containers[] | select(.name == "argocd-karmada-plugin")'
mapfile -t overlay_env < <(yq -r "$sidecar | .env[] | \"\(.name)=\(.value)\"" "$patch")
[ ${#overlay_env[@]} -gt 0 ] || fail "$patch: the sidecar's env: not found"
[ "$(yq -r "$sidecar | .securityContext.runAsUser" "$patch")" = 999 ] || fail "$patch: runAsUser is not 999"
mount_path() { yq -r "$sidecar | .volumeMounts[] | select(.name == \"$1\") | .mountPath" "$patch"; }
config_path=$(mount_path argocd-karmada-plugin-config)
plugins_path=$(mount_path plugins)
var_files_path=$(mount_path var-files)
tmp_path=$(mount_path argocd-karmada-plugin-tmp)
[ "$tmp_path" = /tmp ] || fail "$patch: the sidecar's own emptyDir is not mounted at /tmp"

# The volumes: emptyDirs (world-writable, as kubelet makes them) and the ConfigMap's plugin.yaml.
mkdir -p "$work/tmp" "$work/plugins" "$work/var-files" "$work/host-home"
chmod 0777 "$work/tmp" "$work/plugins" "$work/var-files"
sidecar_args=(--isolation chroot --user 999:999
  -v "$work/tmp:$tmp_path" -v "$work/plugins:$plugins_path" -v "$work/var-files:$var_files_path"
  -v "$repo/sidecar/plugin.yaml:$config_path:ro")
for kv in "${overlay_env[@]}"; do sidecar_args+=(--env "$kv"); done
in_image() { # [buildah run options...] -- COMMAND...
  timeout 300 buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run" \
    run "${sidecar_args[@]}" "$@" </dev/null
}
ran() { # NAME STDERR-FILE: say what failed, with the command's stderr
  sed 's/^/  | /' "$2" >&2
  fail "$1 failed"
}
# The first run creates the mount points; everything after the marker must stay under /tmp.
in_image "$ctr" -- true
mnt=$(bah mount "$ctr")
# Every entry outside /tmp with its type, mode, owner, and for files size and mtime (a directory's
# own mtime is left out: buildah adds and removes /run/.containerenv around every run).
listing() {
  (cd "$mnt" && find . -xdev \( -path ./tmp -prune \) -o \( -type d -printf '%y %m %U:%G %p\n' \) \
    -o -printf '%y %m %U:%G %s %T@ %p\n' | LC_ALL=C sort)
}
listing >"$work/before"

# 1. The image's defaults, without the overlay's settings.
# shellcheck disable=SC2016 # $HOME is the container's
defaults=$(timeout 60 buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run" \
  run --isolation chroot "$ctr" -- sh -c 'id -u; echo "$HOME"; env' )
[ "$(sed -n 1p <<<"$defaults")" = 999 ] || fail "the image does not run as UID 999 by default"
[ "$(sed -n 2p <<<"$defaults")" = /home/argocd ] || fail "HOME is not /home/argocd"
for kv in "${overlay_env[@]}"; do
  grep -qxF "$kv" <<<"$defaults" || fail "the image does not set $kv like $patch"
done
config_env=$(bah inspect --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$ctr")
grep -q '^PATH=\(.*:\)\?/usr/local/bin\(:\|$\)' <<<"$config_env" || fail "the image's config sets no PATH with /usr/local/bin"
for tool in argocd-karmada-plugin helm kubectl; do
  in_image "$ctr" -- sh -c "command -v $tool" >/dev/null || fail "$tool is not on the image's PATH"
done
ok "defaults ok (UID 999, HOME /home/argocd, ${#overlay_env[@]} overlay variables, tools on PATH)"

# The host runs the same helm and kubectl as the image: only the image itself may differ.
mkdir -p "$work/host-tools"
cp "$mnt/usr/local/bin/helm" "$mnt/usr/local/bin/kubectl" "$work/host-tools/"
ln -s "$host_bin" "$work/host-tools/argocd-karmada-plugin"
host_env=(env -i "PATH=$work/host-tools:/usr/bin:/bin" "HOME=$work/host-home")
for kv in "${overlay_env[@]}"; do host_env+=("${kv//\/tmp/$work/host-home}"); done

# The repository as cmp-server unpacks it: owned by the sidecar's user, under /tmp.
mkdir -p "$work/tmp/repo" "$work/tmp/apps"
cp -r examples "$work/tmp/repo/"
examples=()
for dir in examples/*/; do
  [ -f "$dir/karmada.yaml" ] && examples+=("$(basename "$dir")")
done
[ ${#examples[@]} -ge 3 ] || fail "expected at least 3 examples, found ${#examples[@]}"
for x in "${examples[@]}"; do
  # examples/application.yaml, pointed at each example (its plugin parameters only for its own).
  # shellcheck disable=SC2016 # jq variables
  yq -y --arg x "$x" '(if .spec.source.path != "examples/" + $x then del(.spec.source.plugin.parameters) else . end)
    | .metadata.name = $x | .spec.source.path = "examples/" + $x | .spec.destination.namespace = $x' \
    examples/application.yaml >"$work/tmp/apps/$x.yaml"
done
chown -R 999:999 "$work/tmp"

same() { # NAME FILE-FROM-IMAGE FILE-FROM-HOST
  [ -s "$2" ] || { sed 's/^/  | /' "$work/err.image" >&2; fail "$1: no output in the image"; }
  cmp -s "$2" "$3" || { diff -u "$3" "$2" | head -n 40 >&2 || true; fail "$1: the image's output differs from the host's"; }
}

# 2. generate, in the app directory as cmp-server runs it.
for x in "${examples[@]}"; do
  app_env=(ARGOCD_APP_NAME="$x" ARGOCD_APP_NAMESPACE="$x" ARGOCD_APP_SOURCE_PATH="examples/$x")
  image_args=()
  for kv in "${app_env[@]}"; do image_args+=(--env "$kv"); done
  in_image "${image_args[@]}" --workingdir "/tmp/repo/examples/$x" "$ctr" -- argocd-karmada-plugin generate \
    >"$work/$x.image.yaml" 2>"$work/err.image" || ran "generate examples/$x in the image" "$work/err.image"
  (cd "$work/tmp/repo/examples/$x" && "${host_env[@]}" "${app_env[@]}" argocd-karmada-plugin generate) \
    >"$work/$x.host.yaml" 2>"$work/err.host" || ran "generate examples/$x on the host" "$work/err.host"
  same "generate examples/$x" "$work/$x.image.yaml" "$work/$x.host.yaml"
  ok "generate examples/$x: identical ($(grep -c '^kind:' "$work/$x.image.yaml") objects)"
done

# 3. cmp run (discovery, generate and Argo CD's parsing) and cmp parameters, with the sidecar's
#    plugin.yaml.
rev=0123456789abcdef0123456789abcdef01234567
for x in "${examples[@]}"; do
  in_image --workingdir /home/argocd "$ctr" -- argocd-karmada-plugin cmp run --plugin "$config_path" \
    --app "/tmp/apps/$x.yaml" --revision "$rev" --inherit-env /tmp/repo \
    >"$work/$x.cmp.image.yaml" 2>"$work/err.image" || ran "cmp run examples/$x in the image" "$work/err.image"
  "${host_env[@]}" argocd-karmada-plugin cmp run --plugin sidecar/plugin.yaml --app "$work/tmp/apps/$x.yaml" \
    --revision "$rev" --inherit-env "$work/tmp/repo" >"$work/$x.cmp.host.yaml" 2>"$work/err.host" \
    || ran "cmp run examples/$x on the host" "$work/err.host"
  same "cmp run examples/$x" "$work/$x.cmp.image.yaml" "$work/$x.cmp.host.yaml"
  # The Parameters tab: the plugin's dynamic `parameters` command, run as cmp-server runs it.
  in_image --workingdir /home/argocd "$ctr" -- argocd-karmada-plugin cmp parameters --plugin "$config_path" \
    --app "/tmp/apps/$x.yaml" --inherit-env /tmp/repo \
    >"$work/$x.params.image.json" 2>"$work/err.image" || ran "cmp parameters examples/$x in the image" "$work/err.image"
  "${host_env[@]}" argocd-karmada-plugin cmp parameters --plugin sidecar/plugin.yaml --app "$work/tmp/apps/$x.yaml" \
    --inherit-env "$work/tmp/repo" >"$work/$x.params.host.json" 2>"$work/err.host" \
    || ran "cmp parameters examples/$x on the host" "$work/err.host"
  same "cmp parameters examples/$x" "$work/$x.params.image.json" "$work/$x.params.host.json"
  ok "cmp run, cmp parameters examples/$x: identical ($(grep -c '^kind:' "$work/$x.cmp.image.yaml") objects)"
done

# 4. readOnlyRootFilesystem: the runs wrote nothing into the container's own file system.
listing >"$work/after"
written=$({ diff "$work/before" "$work/after" || true; } | sed -n 's/^[<>] //p' | head -n 5 | tr '\n' ' ') || true
[ -z "$written" ] || fail "the image's file system was written to (the sidecar's is read-only): $written"
ok "nothing written outside /tmp"
echo "smoke-image: $archive is ok"
echo "smoke-image: $passed passed, 0 failed"
