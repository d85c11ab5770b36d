#!/usr/bin/env bash
# Provides kube-apiserver and etcd for controller-runtime's envtest and prints the directory that holds
# them (the value for KUBEBUILDER_ASSETS).
#
# Order: $KUBEBUILDER_ASSETS when it already holds both binaries, else the cache outside the clone
# ($LEADOPS_CACHE_DIR, default ~/.cache/leadops), else build them from the Go module proxy. setup-envtest's
# download and Docker are not available everywhere we test, so building from source is the fallback that
# always works (about 10 minutes on 2 cores, once per machine).
set -euo pipefail

KUBE_VERSION="${ENVTEST_KUBE_VERSION:-1.37.2}"
ETCD_VERSION="${ENVTEST_ETCD_VERSION:-3.6.6}"
CACHE_ROOT="${LEADOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/leadops}"
# The "-stamped" suffix marks kube-apiserver builds that carry their real version (see below); an older
# unstamped cache is rebuilt once.
DEST="$CACHE_ROOT/envtest/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}-stamped"

log() { echo "envtest-assets: $*" >&2; }

have_both() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ]; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && have_both "$KUBEBUILDER_ASSETS"; then
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi
if have_both "$DEST"; then
  echo "$DEST"; exit 0
fi

command -v go >/dev/null || { log "go is not on PATH; install Go to build the envtest binaries"; exit 1; }
mkdir -p "$DEST"
# One builder at a time: a concurrent `make test` waits instead of building twice.
exec 9>"$DEST.lock"
flock 9
if have_both "$DEST"; then echo "$DEST"; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod CGO_ENABLED=0

if [ ! -x "$DEST/etcd" ]; then
  log "building etcd v${ETCD_VERSION} from the Go module proxy (about 2 minutes)"
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init envtest-etcd >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" >&2
  go build -trimpath -ldflags='-s -w' -o "$DEST/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$DEST/etcd.tmp" "$DEST/etcd"
fi

if [ ! -x "$DEST/kube-apiserver" ]; then
  log "building kube-apiserver v${KUBE_VERSION} from the Go module proxy (about 8 minutes)"
  mkdir -p "$work/kube" && cd "$work/kube"
  go mod init envtest-kube-apiserver >/dev/null 2>&1
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local paths that a
  # module download does not have, so pin each to its published v0.<minor>.<patch> release instead.
  gomod="$(go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  staging_version="v0.${KUBE_VERSION#*.}"
  {
    echo "require k8s.io/kubernetes v${KUBE_VERSION}"
    grep -oE '^\s*k8s\.io/[a-z0-9./-]+ => \./staging/src/k8s\.io/[a-z0-9./-]+' "$gomod" \
      | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
  } >> go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy >&2
  # Stamp the version as the Kubernetes build does (hack/lib/version.sh): without it /version reports
  # v0.0.0-master+$Format:%H$ and `kubectl version` fails against the demo's control plane.
  minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
  stamp=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $pkg.gitVersion=v${KUBE_VERSION} -X $pkg.gitMajor=${KUBE_VERSION%%.*} -X $pkg.gitMinor=${minor}"
    stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags="-s -w${stamp}" -o "$DEST/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$DEST/kube-apiserver.tmp" "$DEST/kube-apiserver"
fi

have_both "$DEST" || { log "build finished but binaries are missing in $DEST"; exit 1; }
echo "$DEST"
