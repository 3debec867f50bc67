#!/usr/bin/env bash
# Builds the eksaccess container image (Containerfile) with buildah, or podman, and smoke-tests
# it: the image's entrypoint serves (with `podman run` where the machine allows it, otherwise
# from the image's unpacked root filesystem, as the image's user), /healthz answers, one aws-cli
# call creates a cluster, the server stops on SIGTERM, and the state is in the volume.
#
#   hack/image.sh                  build localhost/eksaccess:dev and smoke-test it
#   IMAGE=localhost/eksaccess:v1.0.0 EKSACCESS_VERSION=v1.0.0 hack/image.sh
#   EKSACCESS_IMAGE_RUN=rootfs hack/image.sh   skip `podman run`, test the unpacked rootfs
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
image="${IMAGE:-localhost/eksaccess:dev}"
run_mode="${EKSACCESS_IMAGE_RUN:-auto}" # auto | podman | rootfs

if command -v buildah >/dev/null 2>&1; then builder=buildah
elif command -v podman >/dev/null 2>&1; then builder=podman
else echo "image: buildah or podman is required (Debian: apt-get install buildah podman)" >&2; exit 1
fi
command -v aws >/dev/null 2>&1 || { echo "image: aws (aws-cli) is required for the smoke test" >&2; exit 1; }
[ -r /etc/ssl/certs/ca-certificates.crt ] || { echo "image: /etc/ssl/certs/ca-certificates.crt is required (Debian: ca-certificates)" >&2; exit 1; }

work="$(mktemp -d /tmp/eksaccess-image.XXXXXX)"
ctr=""; pid=""; cid=""
cleanup() {
  if [ -n "$cid" ]; then podman rm -f "$cid" >/dev/null 2>&1 || true; fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  if [ -n "$ctr" ]; then buildah umount "$ctr" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== image: build context (static binary)"
ctx="$work/context"
mkdir -p "$ctx/data" "$ctx/tmp"
ldflags="-s -w"
if [ -n "${EKSACCESS_VERSION:-}" ]; then ldflags="$ldflags -X main.version=$EKSACCESS_VERSION"; fi
CGO_ENABLED=0 go build -buildvcs=auto -trimpath -ldflags "$ldflags" -o "$ctx/eksaccess" ./cmd/eksaccess
if ! go version -m "$ctx/eksaccess" | grep -q 'CGO_ENABLED=0'; then
  echo "image: the binary is not static (CGO_ENABLED=0)" >&2; exit 1
fi
printf 'root:x:0:0:root:/root:/sbin/nologin\neksaccess:x:65532:65532:eksaccess:/data:/sbin/nologin\n' >"$ctx/passwd"
printf 'root:x:0:\neksaccess:x:65532:\n' >"$ctx/group"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"

echo "== image: $builder build $image"
# Docker format: OCI image configs have no HEALTHCHECK.
if [ "$builder" = buildah ]; then
  buildah build --quiet --format docker -f Containerfile -t "$image" "$ctx" >/dev/null
else
  podman build --quiet --format docker -f Containerfile -t "$image" "$ctx" >/dev/null
fi
size=$($builder images --format '{{.Size}}' "$image" | head -1)
echo "image: $image built, size $size (binary $(du -h "$ctx/eksaccess" | cut -f1))"

inspect() { $builder inspect --type image --format "$1" "$image"; }
[ "$(inspect '{{.Docker.Config.User}}')" = "65532:65532" ] || { echo "image: user is not 65532:65532" >&2; exit 1; }
inspect '{{.Docker.Config.Healthcheck}}' | grep -q 'eksaccess healthcheck' || { echo "image: no HEALTHCHECK" >&2; exit 1; }
inspect '{{.Docker.Config.Volumes}}' | grep -q '/data:' || { echo "image: no /data volume" >&2; exit 1; }

# The smoke test's state lives in this directory: the volume.
vol="$work/volume"
mkdir -p "$vol"
chown 65532:65532 "$vol" 2>/dev/null || chmod 0777 "$vol"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
log="$work/server.log"

started=""
if [ "$run_mode" != rootfs ] && command -v podman >/dev/null 2>&1; then
  echo "== image: podman run"
  if cid=$(podman run -d --pull=never -p "127.0.0.1:$port:8600" -v "$vol:/data:Z" -e EKSACCESS_OPEN_LISTEN_ANY=true "$image" 2>"$work/podman.err"); then
    started=podman
  else
    echo "image: podman run does not work on this machine: $(tail -3 "$work/podman.err")" >&2
    cid=""
    [ "$run_mode" = podman ] && exit 1
  fi
fi
if [ -z "$started" ]; then
  echo "== image: unpacked root filesystem, entrypoint run as the image's user"
  command -v buildah >/dev/null 2>&1 || { echo "image: the rootfs smoke test needs buildah" >&2; exit 1; }
  [ "$(id -u)" -eq 0 ] || { echo "image: the rootfs smoke test runs as root (buildah mount, chroot); run podman run instead" >&2; exit 1; }
  ctr=$(buildah from --pull=never "$image")
  mnt=$(buildah mount "$ctr")
  user=$(inspect '{{.Docker.Config.User}}')
  mapfile -t envs < <(inspect '{{range .Docker.Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
  mapfile -t entry < <(inspect '{{range .Docker.Config.Entrypoint}}{{println .}}{{end}}{{range .Docker.Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
  # In a mount namespace: the volume is bind-mounted on /data, then chroot into the rootfs as the
  # image's user, with the image's environment. The network is the host's, so the listener is
  # loopback on a free port (EKSACCESS_LISTEN overrides the image's 0.0.0.0:8600); chroot starts
  # in / rather than the WORKDIR /data, which the image's absolute EKSACCESS_DATABASE makes moot.
  unshare --mount --propagation private sh -c 'mount --bind "$1" "$2/data" && shift 2 && exec "$@"' sh "$vol" "$mnt" \
    env -i "${envs[@]}" EKSACCESS_OPEN_LISTEN_ANY=true EKSACCESS_LISTEN="127.0.0.1:$port" \
    chroot --userspec="$user" "$mnt" "${entry[@]}" >"$log" 2>&1 &
  pid=$!
  started=rootfs
fi

logs() { if [ "$started" = podman ]; then podman logs "$cid" 2>&1; else cat "$log"; fi; }
echo "== image: wait for /healthz"
for i in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('$url/healthz', timeout=1).status == 200 else 1)" 2>/dev/null; then break; fi
  if [ "$i" -eq 100 ]; then echo "image: /healthz did not answer" >&2; logs >&2; exit 1; fi
  sleep 0.2
done
logs | grep -q 'UNAUTHENTICATED' || { echo "image: no start-up warning about --open-listen-any" >&2; logs >&2; exit 1; }

echo "== image: aws eks create-cluster against $url"
AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=012345678910 AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-west-2 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= \
  aws eks create-cluster --name image-smoke --role-arn arn:aws:iam::012345678910:role/eks \
  --resources-vpc-config subnetIds=subnet-1 --query cluster.arn --output text | tee "$work/arn"
grep -qx 'arn:aws:eks:us-west-2:012345678910:cluster/image-smoke' "$work/arn"

if [ "$started" = podman ]; then
  echo "== image: podman healthcheck run"
  podman healthcheck run "$cid"
  echo "== image: stop (SIGTERM)"
  podman stop -t 15 "$cid" >/dev/null
  code=$(podman inspect --format '{{.State.ExitCode}}' "$cid")
else
  echo "== image: the image's HEALTHCHECK command, in the rootfs"
  unshare --mount --propagation private sh -c 'mount --bind "$1" "$2/data" && shift 2 && exec "$@"' sh "$vol" "$mnt" \
    env -i "${envs[@]}" EKSACCESS_LISTEN="127.0.0.1:$port" chroot --userspec="$user" "$mnt" /usr/local/bin/eksaccess healthcheck
  echo "== image: stop (SIGTERM)"
  kill -TERM "$pid"
  code=0; wait "$pid" || code=$?
  pid=""
fi
[ "$code" -eq 0 ] || { echo "image: exit status $code after SIGTERM" >&2; logs >&2; exit 1; }
logs | grep -q '"msg":"stopped"' || { echo "image: no clean shutdown in the log" >&2; logs >&2; exit 1; }

echo "== image: state on the volume"
ls -ln "$vol"
[ -s "$vol/eksaccess.db" ] || { echo "image: no eksaccess.db on the volume" >&2; exit 1; }
[ "$(stat -c %u "$vol/eksaccess.db")" = 65532 ] || { echo "image: eksaccess.db is not owned by the image's user 65532" >&2; exit 1; }
# The database on the volume holds the cluster: a plain server on it lists it.
check_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ctx/eksaccess" serve --listen "127.0.0.1:$check_port" --database "sqlite://$vol/eksaccess.db" >"$work/check.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$check_port/healthz', timeout=1)" 2>/dev/null && break
  [ "$i" -eq 100 ] && { cat "$work/check.log" >&2; exit 1; }
  sleep 0.2
done
AWS_ENDPOINT_URL="http://127.0.0.1:$check_port" AWS_ACCESS_KEY_ID=012345678910 AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-west-2 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= \
  aws eks list-clusters --query clusters --output text | tee "$work/clusters"
grep -qx image-smoke "$work/clusters"
kill -TERM "$pid"; wait "$pid" || true; pid=""
echo "image: ok ($started): $image, size $size"
