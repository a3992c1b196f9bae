#!/usr/bin/env bash
# Checks the shipped operations artifacts with promtool (from Debian's prometheus package; .ci/run
# installs it): the alert rules' syntax, their unit tests, and that every query of the Grafana
# dashboard parses as PromQL.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo 'promtool not found: install it (Debian/Ubuntu: apt-get install prometheus), or run .ci/run' >&2
  exit 1
fi
promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts.test.yml

dashboard_rules="$(mktemp --suffix=.yml)"
trap 'rm -f "$dashboard_rules"' EXIT
node scripts/dashboard-rules.mjs ops/grafana/tandem.json >"$dashboard_rules"
echo 'Checking the queries of ops/grafana/tandem.json'
promtool check rules "$dashboard_rules" >/dev/null
echo '  SUCCESS'
