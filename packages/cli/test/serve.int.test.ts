import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Store } from '@tandem/core';
import { loadConfig, serve } from '@tandem/cli';
import { signToken } from '@tandem/http';
import { createPingApp } from './ping-app.js';

const config = loadConfig({
  PORT: '0',
  DATABASE_URL: 'sqlite::memory:',
  TANDEM_SECRET: 'serve-secret-serve-secret-serve-secret',
});

describe('serve', () => {
  it('listens, answers commands over real HTTP, and closes the server then the store', async () => {
    let opened: Store | undefined;
    const running = await serve({
      config,
      createApp: (store) => {
        opened = store;
        return createPingApp(store);
      },
    });
    try {
      assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${running.url}/health`);
      const { jobs, timers, ...rest } = (await health.json()) as {
        jobs: { name: string; state: string }[];
        timers: { pending: number };
      };
      assert.deepEqual(rest, { status: 'ok', store: 'sqlite', head: 0, projections: [] });
      // serve starts the timer scheduler with the projections; alone, this process holds its lease.
      assert.deepEqual(
        jobs.map((job) => job.name),
        ['tandem-scheduler'],
      );
      assert.equal(timers.pending, 0);
      const token = await signToken({ sub: 'alice', role: 'customer' }, running.secret);
      const ping = await fetch(`${running.url}/commands/Ping`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'idempotency-key': randomUUID(),
        },
        body: '{}',
      });
      assert.equal(ping.status, 200);
      assert.equal(ping.headers.get('tandem-position'), '1');
    } finally {
      await running.close();
    }
    await assert.rejects(fetch(`${running.url}/health`));
    await assert.rejects(opened?.transaction(async () => 1) ?? Promise.resolve(), /closed/);
    await running.close(); // idempotent
  });

  it('closes the store when it cannot listen', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    let opened: Store | undefined;
    try {
      await assert.rejects(
        serve({
          config: { ...config, port },
          createApp: (store) => {
            opened = store;
            return createPingApp(store);
          },
        }),
        /EADDRINUSE/,
      );
      await assert.rejects(opened?.transaction(async () => 1) ?? Promise.resolve(), /closed/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('serves the web console at /console/ unless TANDEM_CONSOLE is off', async () => {
    const on = await serve({ config, createApp: createPingApp, log: () => undefined, logger: false });
    try {
      const page = await fetch(`${on.url}/console/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.match(await page.text(), /<title>Tandem console<\/title>/);
    } finally {
      await on.close();
    }
    const off = await serve({
      config,
      createApp: createPingApp,
      log: () => undefined,
      logger: false,
      env: { TANDEM_CONSOLE: 'off' },
    });
    try {
      assert.equal((await fetch(`${off.url}/console/`)).status, 404);
    } finally {
      await off.close();
    }
  });

  it('removes its signal handlers once closed', async () => {
    const before = process.listenerCount('SIGTERM');
    const running = await serve({
      config,
      createApp: createPingApp,
      handleSignals: true,
      log: () => undefined,
    });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    await running.close();
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('refuses to start in production with a short TANDEM_SECRET, before opening the store', async () => {
    let opened = false;
    await assert.rejects(
      serve({
        config: loadConfig({
          PORT: '0',
          DATABASE_URL: 'sqlite::memory:',
          NODE_ENV: 'production',
          TANDEM_SECRET: 'short',
        }),
        createApp: (store) => {
          opened = true;
          return createPingApp(store);
        },
      }),
      /TANDEM_SECRET must be at least 32 bytes in production \(NODE_ENV=production\); it is 5/,
    );
    assert.equal(opened, false);
  });

  it('verifies tokens with the key set at TANDEM_JWKS_URL instead of the secret', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const provider = createHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    provider.listen(0, '127.0.0.1');
    await once(provider, 'listening');
    const secret = 'serve-secret-serve-secret-serve-secret';
    const running = await serve({
      config: loadConfig({
        PORT: '0',
        DATABASE_URL: 'sqlite::memory:',
        TANDEM_SECRET: secret,
        TANDEM_JWKS_URL: `http://127.0.0.1:${(provider.address() as AddressInfo).port}/jwks.json`,
        TANDEM_TOKEN_AUDIENCE: 'shop-api',
        TANDEM_TOKEN_ROLES_CLAIM: 'realm_access.roles',
      }),
      createApp: createPingApp,
    });
    try {
      const ping = async (token: string) =>
        (
          await fetch(`${running.url}/commands/Ping`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'idempotency-key': randomUUID(),
            },
            body: '{}',
          })
        ).status;
      const fromProvider = await new SignJWT({ realm_access: { roles: ['customer'] } })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('alice')
        .setAudience('shop-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      assert.equal(await ping(fromProvider), 200);
      const hs256 = await signToken({ sub: 'alice', role: 'admin' }, { secret, audience: 'shop-api' });
      assert.equal(await ping(hs256), 401, 'the secret no longer verifies tokens');
    } finally {
      await running.close();
      provider.close();
      provider.closeAllConnections();
    }
  });

  it('verifies tokens with the issuer, audience and maximum lifetime from the environment', async () => {
    const running = await serve({
      config: loadConfig({
        PORT: '0',
        DATABASE_URL: 'sqlite::memory:',
        TANDEM_SECRET: 'serve-secret-serve-secret-serve-secret',
        TANDEM_TOKEN_ISSUER: 'https://shop.example',
        TANDEM_TOKEN_AUDIENCE: 'shop-api',
        TANDEM_TOKEN_MAX_LIFETIME: '1h',
      }),
      createApp: createPingApp,
    });
    try {
      assert.deepEqual(
        { ...running.auth, secret: '' },
        {
          secret: '',
          issuer: 'https://shop.example',
          audience: 'shop-api',
          maxLifetimeSeconds: 3600,
          rolesClaim: undefined,
        },
      );
      const ping = async (token: string) =>
        (
          await fetch(`${running.url}/commands/Ping`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'idempotency-key': randomUUID(),
            },
            body: '{}',
          })
        ).status;
      const user = { sub: 'alice', role: 'customer' };
      assert.equal(await ping(await signToken(user, running.auth)), 200);
      const bare = { secret: running.secret, maxLifetimeSeconds: 3600 };
      assert.equal(await ping(await signToken(user, bare)), 401, 'no iss or aud');
      assert.equal(await ping(await signToken(user, { ...running.auth, audience: 'admin-api' })), 401);
      const long = { ...running.auth, maxLifetimeSeconds: 7200 };
      assert.equal(await ping(await signToken(user, long, { expiresIn: '2h' })), 401, 'lives too long');
    } finally {
      await running.close();
    }
  });
});
