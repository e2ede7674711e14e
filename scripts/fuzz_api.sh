#!/usr/bin/env bash
# The long fuzz of the API (issue « bad input at scale »): 200 generated requests per operation against
# the real server. `make test` runs the same test with 25 per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-200}" .venv/bin/pytest -q -s -p no:cacheprovider tests/fuzz/test_api_fuzz.py 2>&1 | tee var/fuzz-api.log
grep '^fuzz :' var/fuzz-api.log
