#!/usr/bin/env bash
# End-to-end tests against a real kube-apiserver (e2e/...): installs etcd (Debian's etcd-server)
# when missing, builds kube-apiserver (hack/build-kube-apiserver.sh, reused when already built),
# finds or builds helm (hack/helm.sh, for the chart test) and runs the tests with EKSACCESS_E2E=1
# and -tags e2e (without the tag, go test ./... builds only e2e/kube/skip_test.go, which names them).
# kubectl and aws (aws-cli) must be on the PATH.
# Extra arguments go to `go test`, e.g. hack/e2e.sh -run TestViewPolicy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ -z "${ETCD:-}" ] && ! command -v etcd >/dev/null 2>&1; then
  echo "e2e: installing etcd-server" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  # policy-rc.d may deny starting the service (containers); the tests start their own etcd on
  # free ports either way, so a system etcd on 2379 does not matter.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server >&2
fi
for tool in kubectl aws; do
  command -v "$tool" >/dev/null 2>&1 || { echo "e2e: $tool is required on the PATH" >&2; exit 1; }
done

start=$(date +%s)
kube_apiserver="$("$root/hack/build-kube-apiserver.sh")"
echo "e2e: kube-apiserver $kube_apiserver (ready after $(( $(date +%s) - start ))s)" >&2

helm="$("$root/hack/helm.sh")"
echo "e2e: helm $helm" >&2

EKSACCESS_E2E=1 KUBE_APISERVER="$kube_apiserver" HELM="$helm" go test -tags e2e ./e2e/... -count=1 -v -timeout 10m "$@"
