#!/usr/bin/env node
// Prints the Grafana dashboard's queries (panels and annotations) as a Prometheus rules file, so that `promtool check rules`
// parses every one of them (scripts/check-ops.sh). Grafana's variables are replaced by values
// PromQL accepts: `$__rate_interval` by 5m, every other `$name` by `.*` (they sit in `=~` matchers).
// Usage: node scripts/dashboard-rules.mjs ops/grafana/tandem.json > rules.yml
import { readFileSync } from 'node:fs';

const dashboard = JSON.parse(readFileSync(process.argv[2] ?? 'ops/grafana/tandem.json', 'utf8'));
const promql = (expr) => expr.replaceAll('$__rate_interval', '5m').replace(/\$\{?\w+\}?/g, '.*');
const rules = [
  ...dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target, i) => ({
      record: `dashboard:panel_${panel.id}:${i}`,
      expr: promql(target.expr),
    })),
  ),
  ...dashboard.annotations.list
    .filter((annotation) => annotation.expr !== undefined)
    .map((annotation, i) => ({ record: `dashboard:annotation:${i}`, expr: promql(annotation.expr) })),
];
// JSON is YAML: promtool reads this as it is.
console.log(JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2));
