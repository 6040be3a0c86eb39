#!/usr/bin/env bash
# The whole test suite: golive's own tests (including mypy --strict and ruff), then the
# storefront's unit, integration and E2E suites. Runs the idempotent set-up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONDONTWRITEBYTECODE=1
mkdir -p test-artifacts
status=0
.venv/bin/pytest -n 2 --dist loadgroup -p no:cacheprovider tests \
  --junitxml=test-artifacts/golive-junit.xml "$@" || status=$?
if [ -d examples/storefront/tests ]; then
  (cd examples/storefront && ../../.venv/bin/pytest -n 2 -p no:cacheprovider tests e2e \
    --junitxml=../../test-artifacts/storefront-junit.xml) || status=$?
fi
exit "$status"
