#!/usr/bin/env bash
# Provide promtool (Prometheus's rule checker) for the alert tests. Idempotent and quick when promtool
# is already there: prints its path and exits. Otherwise installs Debian's `prometheus` package (the only
# source used: no download from elsewhere), without starting the Prometheus service it ships.
# PROMTOOL=/path/to/promtool overrides the lookup.
set -euo pipefail

if [[ -n "${PROMTOOL:-}" ]]; then
	if [[ -x "$PROMTOOL" ]]; then echo "$PROMTOOL"; exit 0; fi
	echo "install-promtool: PROMTOOL=$PROMTOOL is not an executable" >&2
	exit 1
fi
if p=$(command -v promtool 2>/dev/null); then echo "$p"; exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-promtool: promtool not found and apt-get is not available; install Prometheus's promtool (Debian/Ubuntu: apt-get install prometheus) or set PROMTOOL" >&2
	exit 1
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
		echo "install-promtool: promtool not found; run as root or install it: apt-get install prometheus" >&2
		exit 1
	fi
fi

echo "install-promtool: installing Debian's prometheus package for promtool" >&2
# Keep the package's post-install from starting a Prometheus server (invoke-rc.d honours policy-rc.d).
policy=/usr/sbin/policy-rc.d
created_policy=
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
	"${SUDO[@]}" chmod 755 "$policy"
	created_policy=1
fi
cleanup() { if [[ -n $created_policy ]]; then "${SUDO[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends prometheus >&2; then
	"${SUDO[@]}" apt-get update >&2
	"${SUDO[@]}" apt-get install -y --no-install-recommends prometheus >&2
fi
if p=$(command -v promtool 2>/dev/null); then echo "$p"; exit 0; fi
echo "install-promtool: the prometheus package installed but promtool is not on PATH" >&2
exit 1
