import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

const root = new URL('../../', import.meta.url);

/** A file of the repository, as text. */
export function repoFile(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** One rule of `ops/prometheus/alerts.yml`: an alert or a recording rule. */
export interface PrometheusRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** The shipped rule groups. */
export function alertRules(): { name: string; rules: PrometheusRule[] }[] {
  return (
    load(repoFile('ops/prometheus/alerts.yml')) as { groups: { name: string; rules: PrometheusRule[] }[] }
  ).groups;
}

/** One case of `ops/prometheus/alerts.test.yml`. */
export interface RuleTest {
  readonly name: string;
  readonly alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: unknown[] }[];
}

/** The promtool unit tests of the rules. */
export function ruleTests(): RuleTest[] {
  return (load(repoFile('ops/prometheus/alerts.test.yml')) as { tests: RuleTest[] }).tests;
}

/** A panel of the Grafana dashboard (rows included). */
export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos?: { h: number; w: number; x: number; y: number };
  readonly datasource?: { type: string; uid: string };
  readonly targets?: { expr: string; datasource?: { uid: string } }[];
}

/** `ops/grafana/tandem.json`, parsed. */
export function dashboard(): {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string }[] };
} {
  return JSON.parse(repoFile('ops/grafana/tandem.json'));
}

/** Every PromQL expression the rules and the dashboard hold. */
export function shippedQueries(): { where: string; expr: string }[] {
  return [
    ...alertRules().flatMap((g) => g.rules.map((r) => ({ where: r.alert ?? r.record ?? '?', expr: r.expr }))),
    ...dashboard().panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `panel ${p.id} "${p.title}"`, expr: t.expr })),
    ),
  ];
}

const histogramSeries = /_(bucket|sum|count)$/;

/**
 * The metric names an expression reads: every `tandem_...` name (a histogram's `_bucket`, `_sum`
 * and `_count` series folded into the histogram's name), `up`, and recording rules (names with a
 * colon). Label names never start with `tandem_`, so this needs no PromQL parser.
 */
export function metricNames(expr: string, histograms: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const [name] of expr.matchAll(/\b(?:tandem_[a-z0-9_]+|[a-z_]+:[a-z0-9_:]+|up)\b/g)) {
    const base = name.replace(histogramSeries, '');
    names.add(histograms.has(base) ? base : name);
  }
  return [...names];
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of every heading of a Markdown file (fenced code left out). */
export function markdownAnchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => headingAnchor(heading ?? '')),
  );
}
