#!/usr/bin/env bash
# Measures PostgreSQL batch ingest (1,000 leads a batch) of this tree against the tree before ingest
# normalization and the duplicate check landed (BASE, e045aa1 by default), in the same run: the two
# benchmarks alternate ROUNDS times, so a busy machine slows both alike. Prints every round and the
# medians. Needs the git history (not a shallow clone) and the PostgreSQL server binaries.
#
#   hack/bench-ingest-vs-baseline.sh            # 5 rounds of 20 batches each
#   ROUNDS=9 BATCHES=40 hack/bench-ingest-vs-baseline.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-e045aa1}
ROUNDS=${ROUNDS:-5}
BATCHES=${BATCHES:-20}
GO=${GO:-go}

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --quiet --detach "$work/base" "$BASE"

# Compile each side once; the rounds then only run the binaries.
( cd "$work/base" && $GO test -c -o "$work/base.test" ./internal/store/postgres )
$GO test -c -o "$work/head.test" ./internal/store/postgres

run() { # run BINARY: prints "name upserts/s upsert/copy" per benchmark line
	(cd internal/store/postgres && "$1" -test.run '^$' -test.bench 'UpsertBatch1000VsCopy' \
		-test.benchtime "${BATCHES}x" -test.count 1) |
		awk '/^BenchmarkUpsertBatch1000VsCopy/ {
			name = $1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkUpsertBatch1000VsCopy\/?/, "", name)
			for (i = 2; i < NF; i++) { if ($(i+1) == "upserts/s") u = $i; if ($(i+1) == "upsert/copy") r = $i }
			print (name == "" ? "baseline" : name), u, r }'
}

results="$work/results"
for round in $(seq "$ROUNDS"); do
	run "$work/base.test" | sed "s/^/$round /" | tee -a "$results"
	run "$work/head.test" | sed "s/^/$round /" | tee -a "$results"
done

echo
echo "median over $ROUNDS rounds of $BATCHES batches (1,000 leads each):"
printf '%-16s %12s %12s %10s\n' inputs upserts/s upsert/copy vs-base
base=$(awk '$2 == "baseline" {print $3}' "$results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
for name in baseline clean resent-phones new-phones; do
	u=$(awk -v n="$name" '$2 == n {print $3}' "$results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	r=$(awk -v n="$name" '$2 == n {print $4}' "$results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '%-16s %12s %12s %9.0f%%\n' "$name" "$u" "$r" "$(awk -v u="$u" -v b="$base" 'BEGIN {print 100*u/b}')"
done
