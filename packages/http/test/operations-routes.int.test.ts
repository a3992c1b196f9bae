import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOperationsServer } from '@tandem/http';
import { testServer } from './test-app.js';

describe('operations endpoints', () => {
  it('are public by default: /health with its details and /metrics', async () => {
    const server = await testServer();
    const health = await server.app.inject({ method: 'GET', url: '/health' });
    assert.deepEqual(Object.keys(health.json()).sort(), [
      'head',
      'jobs',
      'projections',
      'status',
      'store',
      'timers',
    ]);
    assert.equal((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
  });

  it('can be restricted to admins: /health says only its status to others, /metrics refuses them', async () => {
    const server = await testServer({ operations: { metrics: 'admin', healthDetails: 'admin' } });
    const as = (token?: string) => ({ ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) });
    const health = await server.app.inject({ method: 'GET', url: '/health', headers: as(server.customer) });
    assert.equal(health.statusCode, 200, 'probes need no token');
    assert.deepEqual(health.json(), { status: 'ok' });
    const adminHealth = await server.app.inject({ method: 'GET', url: '/health', headers: as(server.admin) });
    assert.equal(adminHealth.json<{ store: string }>().store, 'memory');
    const anonymous = await server.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['content-type']), /problem\+json/);
    assert.equal(
      (await server.app.inject({ method: 'GET', url: '/metrics', headers: as(server.customer) })).statusCode,
      403,
    );
    const scraped = await server.app.inject({ method: 'GET', url: '/metrics', headers: as(server.admin) });
    assert.equal(scraped.statusCode, 200);
    assert.match(scraped.body, /tandem_log_head_position/);
  });

  it('can move to a separate server: the main one then serves no /metrics', async () => {
    const server = await testServer({ operations: { metrics: 'off', healthDetails: 'admin' } });
    assert.equal((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
    const operations = await createOperationsServer({ tandem: server.tandem });
    const metrics = await operations.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /tandem_unhandled_rejections_total/);
    assert.equal(
      (await operations.inject({ method: 'GET', url: '/health' })).json<{ store: string }>().store,
      'memory',
    );
  });
});
