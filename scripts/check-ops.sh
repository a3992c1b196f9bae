#!/usr/bin/env bash
# Checks the shipped Prometheus rules: syntax (`promtool check rules`) and their unit tests
# (`promtool test rules`). promtool comes from Debian's prometheus package; .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo 'promtool not found: install it (Debian/Ubuntu: apt-get install prometheus), or run .ci/run' >&2
  exit 1
fi
promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts.test.yml
