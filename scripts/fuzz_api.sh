#!/usr/bin/env bash
# The long fuzz of the API (issues « bad input at scale », « hardening »): 200 generated cases per operation and GET route against
# the real server, on each engine (Elasticsearch started by scripts/elasticsearch.sh if none answers).
# `make test` runs the same tests with 25 per operation and route, on the embedded engine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
for engine in ${FUZZ_ENGINES:-embedded elasticsearch}; do
  FUZZ_ENGINE="$engine" FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-200}" .venv/bin/pytest -q -s -p no:cacheprovider \
    tests/fuzz/test_api_fuzz.py 2>&1 | tee "var/fuzz-api-$engine.log"
done
grep -h '^fuzz' var/fuzz-api-*.log
