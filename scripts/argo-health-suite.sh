#!/usr/bin/env bash
# Runs Argo CD's own health test suites (resource_customizations/ at a tag) through our Lua VM,
# with open libs as Argo CD's util/lua/health_test.go does. Nothing is copied into the repo.
#
#   scripts/argo-health-suite.sh [TAG]          (default v3.5.1)
#   ARGOCD_MIRROR=/path/to/argo-cd(.git) ...    a local clone or bare mirror (else a shallow clone)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-v3.5.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mirror=${ARGOCD_MIRROR:-}
if [ -z "$mirror" ] || [ ! -e "$mirror" ]; then
  echo "no ARGOCD_MIRROR; cloning argo-cd $tag (shallow)" >&2
  git clone --quiet --depth 1 --branch "$tag" https://github.com/argoproj/argo-cd "$tmp/argo-cd"
  mirror="$tmp/argo-cd"
fi
git -C "$mirror" archive "$tag" resource_customizations | tar -x -C "$tmp"
cargo run --quiet -- health test "$tmp/resource_customizations"
