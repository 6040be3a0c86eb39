#!/usr/bin/env bash
# The whole test suite: golive's own tests (including mypy --strict and ruff) in parallel,
# then the main job (a full review of examples/storefront, alone, because its load tests
# measure latency), then the storefront's own unit, integration and E2E suites.
# Runs the idempotent set-up first. Tests marked `staging` (storefront's container stack, set up
# by scripts/docker.sh and scripts/images.sh) are not part of this run yet:
# `.venv/bin/pytest -p no:cacheprovider -m staging tests` runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONDONTWRITEBYTECODE=1
mkdir -p test-artifacts
status=0
.venv/bin/pytest -n 2 --dist loadgroup -p no:cacheprovider tests --ignore=tests/test_main_job.py \
  -m "not staging" --junitxml=test-artifacts/golive-junit.xml "$@" || status=$?
.venv/bin/pytest -p no:cacheprovider tests/test_main_job.py \
  --junitxml=test-artifacts/main-job-junit.xml || status=$?
(cd examples/storefront && ../../.venv/bin/pytest -n 2 -p no:cacheprovider tests e2e \
  --junitxml=../../test-artifacts/storefront-junit.xml) || status=$?
exit "$status"
