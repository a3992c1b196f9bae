import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alertRules,
  dashboard,
  markdownAnchors,
  metricNames,
  repoFile,
  ruleTests,
  shippedQueries,
} from './ops-artifacts.js';
import { contractHistograms, metricContract, processMetricPrefix } from './metric-contract.js';

const alerts = alertRules().flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
const records = new Set(alertRules().flatMap((g) => g.rules.flatMap((r) => r.record ?? [])));
const runbook = markdownAnchors(repoFile('docs/operations.md'));

describe('ops/prometheus/alerts.yml', () => {
  it('holds one group, tandem, with the alerts the issue asks for', () => {
    assert.deepEqual(
      alertRules().map((g) => g.name),
      ['tandem'],
    );
    const names = alerts.map((a) => a.alert);
    for (const wanted of [
      'TandemProjectionLagHigh',
      'TandemProjectionLagCritical',
      'TandemProjectionStoppedOnError',
      'TandemProjectionStalled',
      'TandemParkedEvents',
      'TandemProjectionFailing',
      'TandemCommandErrorRate',
      'TandemHttpServerErrors',
      'TandemNotReady',
      'TandemUnhandledRejections',
      'TandemTargetDown',
    ])
      assert.ok(names.includes(wanted), `${wanted} is missing`);
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
  });

  it('gives every alert a severity, a summary, a description and a runbook section that exists', () => {
    for (const alert of alerts) {
      assert.match(alert.labels?.severity ?? '', /^(warning|critical)$/, `${alert.alert}: severity`);
      assert.ok(alert.annotations?.summary, `${alert.alert}: summary`);
      assert.ok(alert.annotations?.description, `${alert.alert}: description`);
      const url = alert.annotations?.runbook_url ?? '';
      assert.equal(url, `docs/operations.md#${alert.alert?.toLowerCase()}`, `${alert.alert}: runbook_url`);
      assert.ok(runbook.has(url.split('#')[1] ?? ''), `${alert.alert}: no heading for ${url}`);
    }
  });

  it('names the stall cause in the stall alert', () => {
    const stalled = alerts.find((a) => a.alert === 'TandemProjectionStalled');
    assert.match(stalled?.expr ?? '', /tandem_projection_stall_info/);
    assert.match(stalled?.annotations?.description ?? '', /\{\{ \$labels\.cause \}\}/);
  });

  it('has a promtool case where each alert fires and one where it must not', () => {
    const cases = ruleTests().flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      const own = cases.filter((c) => c.alertname === alert);
      assert.ok(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert}: no case where it fires`,
      );
      assert.ok(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert}: no case where it stays quiet`,
      );
    }
  });
});

describe('ops/grafana/tandem.json', () => {
  const board = dashboard();

  it('is a dashboard with a data source variable and job, instance and projection filters', () => {
    assert.equal(board.title, 'Tandem');
    assert.ok(board.schemaVersion >= 36, `schemaVersion ${board.schemaVersion}`);
    const variables = board.templating.list.map((v) => v.name);
    assert.deepEqual(variables, ['datasource', 'job', 'instance', 'projection']);
    assert.equal(board.templating.list[0]?.type, 'datasource');
  });

  it('has unique panel ids, and every panel a place on the grid that no other panel takes', () => {
    const ids = board.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const taken = new Map<string, string>();
    for (const panel of board.panels) {
      const pos = panel.gridPos;
      assert.ok(pos !== undefined, `${panel.title}: no gridPos`);
      assert.ok(pos.w > 0 && pos.h > 0 && pos.x >= 0 && pos.x + pos.w <= 24, `${panel.title}: off the grid`);
      for (let x: number = pos.x; x < pos.x + pos.w; x++)
        for (let y: number = pos.y; y < pos.y + pos.h; y++) {
          const cell = `${x},${y}`;
          assert.equal(taken.get(cell), undefined, `${panel.title} overlaps ${taken.get(cell)}`);
          taken.set(cell, panel.title);
        }
    }
  });

  it('has the four rows, and every query reads the chosen data source', () => {
    const rows = board.panels.filter((p) => p.type === 'row').map((p) => p.title);
    assert.deepEqual(rows, ['Overview', 'Projections', 'Write side', 'Process']);
    for (const panel of board.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', `${panel.title}: data source`);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: no query`);
      for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, '${datasource}');
    }
  });
});

describe('the metrics the rules and the dashboard read', () => {
  it('are all in the metric contract (or up, a process metric, or a recording rule of the file)', () => {
    const unknown = shippedQueries().flatMap(({ where, expr }) =>
      metricNames(expr, contractHistograms)
        .filter(
          (name) =>
            !(name in metricContract) &&
            !name.startsWith(processMetricPrefix) &&
            name !== 'up' &&
            !records.has(name),
        )
        .map((name) => `${where}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });

  it('cover the projection metrics the issue names', () => {
    const used = new Set(shippedQueries().flatMap(({ expr }) => metricNames(expr, contractHistograms)));
    const unused = Object.keys(metricContract).filter((name) => !used.has(name));
    assert.deepEqual(unused, [], 'every contract metric is on the dashboard or in a rule');
  });

  it('take rate and increase over counters and histogram series only, and never read a counter raw', () => {
    const histogramSeries = /^(.+)_(bucket|sum|count)$/;
    for (const { where, expr } of shippedQueries()) {
      for (const [, name = ''] of expr.matchAll(/\b(?:rate|increase)\(([a-z_:]+)/g)) {
        const histogram = histogramSeries.exec(name)?.[1];
        const ok =
          metricContract[name]?.type === 'counter' ||
          (histogram !== undefined && contractHistograms.has(histogram)) ||
          // prom-client's counters, and the guard's count (a gauge that only grows per process).
          name.endsWith('_total');
        assert.ok(ok, `${where}: rate or increase over ${name}, not a counter`);
      }
      const counters = metricNames(expr, contractHistograms).filter(
        (n) => metricContract[n]?.type === 'counter',
      );
      for (const name of counters)
        assert.match(expr, new RegExp(`\\b(rate|increase)\\(${name}\\b`), `${where}: ${name} read raw`);
    }
  });
});
