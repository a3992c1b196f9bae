import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, serve } from '@tandem/cli';
import { signToken } from '@tandem/http';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { createPingApp } from './ping-app.js';

const secret = 'serve-metrics-secret-serve-metrics-secret';

/** The value of one series in Prometheus text, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Serves the ping app on `databaseUrl`, sends `n` commands at once, and answers the scrape. */
async function scrapeAfterCommands(databaseUrl: string, n: number): Promise<string> {
  const running = await serve({
    config: loadConfig({ PORT: '0', DATABASE_URL: databaseUrl, TANDEM_SECRET: secret }),
    createApp: createPingApp,
    logger: false,
    tracing: false,
  });
  try {
    const token = await signToken({ sub: 'alice', role: 'customer' }, running.secret);
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        fetch(`${running.url}/commands/Ping`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            'idempotency-key': `ping-${i}`,
          },
          body: '{}',
        }),
      ),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    return await (await fetch(`${running.url}/metrics`)).text();
  } finally {
    await running.close();
  }
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`serve metrics on ${backend}`, () => {
    it('count committed commands and the size of each commit group', async (t) => {
      let url = 'sqlite::memory:';
      const schema = `serve_metrics_${process.pid}`;
      const base = backend === 'postgres' ? await postgresTestUrl() : undefined;
      if (backend === 'postgres') {
        if (base === undefined) return t.skip('no PostgreSQL server');
        const withSchema = new URL(base);
        withSchema.searchParams.set('schema', schema);
        url = withSchema.toString();
      }
      try {
        const text = await scrapeAfterCommands(url, 16);
        assert.equal(sample(text, 'tandem_commands_total{type="Ping",outcome="committed"}'), 16);
        const groups = sample(text, 'tandem_group_commit_size_count') ?? 0;
        const carried = sample(text, 'tandem_group_commit_size_sum') ?? 0;
        assert.ok(groups >= 1, `commits observed: ${groups}`);
        // Every committed command went through one commit; conflicts retried meanwhile add none.
        assert.ok(carried >= 16, `transactions carried: ${carried}`);
        assert.equal(
          sample(text, 'tandem_http_requests_total{method="POST",route="/commands/:type",status="200"}'),
          16,
        );
      } finally {
        if (base !== undefined) await dropSchemas(base, [schema]);
      }
    });
  });
}
