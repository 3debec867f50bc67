#!/usr/bin/env bash
# Builds kube-apiserver for the end-to-end tests from the nested module in hack/kube-apiserver
# (go.mod/go.sum committed) and prints the binary's path. A binary already built for this
# version and go.sum is reused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=v1.32.13
out_dir="${EKSACCESS_E2E_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eksaccess-e2e}"
sum=$(sha256sum "$here/kube-apiserver/go.sum" | cut -c1-12)
bin="$out_dir/kube-apiserver-$version-$sum"
if [ ! -x "$bin" ]; then
  mkdir -p "$out_dir"
  vp=k8s.io/component-base/version
  (cd "$here/kube-apiserver" && GOFLAGS=-mod=mod go build \
    -ldflags "-s -w -X $vp.gitVersion=$version -X $vp.gitMajor=1 -X $vp.gitMinor=32 -X $vp.gitTreeState=clean" \
    -o "$bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
