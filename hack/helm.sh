#!/usr/bin/env bash
# Prints the path of a helm binary: helm on the PATH if there is one, else helm v3.22.0 built
# from the Go module proxy (go install helm.sh/helm/v3/cmd/helm@v3.22.0) into the same cache as
# kube-apiserver (hack/build-kube-apiserver.sh) and reused from there.
set -euo pipefail
version=v3.22.0
if [ -z "${EKSACCESS_HELM_BUILD:-}" ] && command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
out_dir="${EKSACCESS_E2E_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eksaccess-e2e}"
bin="$out_dir/helm-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$out_dir/helm-$version.tmp"
  GOBIN="$out_dir/helm-$version.tmp" go install "helm.sh/helm/v3/cmd/helm@$version" >&2
  mv "$out_dir/helm-$version.tmp/helm" "$bin"
  rmdir "$out_dir/helm-$version.tmp"
fi
echo "$bin"
