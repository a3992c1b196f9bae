import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createTandem, MemoryStore } from '@tandem/core';
import { createHttpServer, signToken, type TokenRules } from '@tandem/http';
import { OpenAccount } from './test-app.js';

const secret = 'token-rules-secret-token-rules-secret';
const rules: TokenRules = {
  secret,
  issuer: 'https://auth.example',
  audience: 'bank-api',
  maxLifetimeSeconds: 3600,
};

async function server(auth: TokenRules) {
  const store = new MemoryStore();
  const tandem = await createTandem({ store, commands: [OpenAccount] });
  return { app: await createHttpServer({ tandem, auth }), store };
}

/** A token with exactly these claims, signed with the secret. */
function token(claims: { iss?: string; aud?: string; iat?: number; exp?: number }): Promise<string> {
  const jwt = new SignJWT({ role: 'customer', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice');
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('token rules over HTTP', () => {
  it('answers 200 to a token within the rules, and 401 to one without exp, too long-lived, or for another iss or aud', async () => {
    const { app, store } = await server(rules);
    const now = Math.floor(Date.now() / 1000);
    const good = { iss: rules.issuer, aud: rules.audience, iat: now, exp: now + 3600 };
    const cases: [string, string, number][] = [
      ['good', await signToken({ sub: 'alice', role: 'customer' }, rules, { expiresIn: '1h' }), 200],
      ['good, by hand', await token(good), 200],
      ['no exp', await token({ ...good, exp: undefined }), 401],
      ['exp too far', await token({ ...good, exp: now + 3601 }), 401],
      ['no iat, exp too far', await token({ ...good, iat: undefined, exp: now + 7200 }), 401],
      ['another issuer', await token({ ...good, iss: 'https://evil.example' }), 401],
      ['no issuer', await token({ ...good, iss: undefined }), 401],
      ['another audience', await token({ ...good, aud: 'admin-api' }), 401],
      ['default rules token', await signToken({ sub: 'alice', role: 'customer' }, secret), 401],
    ];
    for (const [name, bearer, status] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/commands/OpenAccount',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${bearer}`,
          'idempotency-key': `open-${name.replaceAll(/\W/g, '-')}`,
        },
        payload: JSON.stringify({ accountId: name.replaceAll(/\W/g, '-') }),
      });
      assert.equal(response.statusCode, status, `${name}: ${response.body}`);
      if (status === 401) {
        assert.equal(response.json<{ code: string }>().code, 'token-invalid', name);
        assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"', name);
        assert.doesNotMatch(
          response.json<{ detail: string }>().detail,
          /\b(exp|iat|iss|aud)\b|issuer|audience/,
          name,
        );
      }
    }
    const audit = await store.audit.list({ limit: 100 });
    assert.equal(audit.filter((row) => row.outcome === 'unauthenticated').length, 7);
    assert.ok(audit.every((row) => row.outcome !== 'unauthenticated' || row.userId === undefined));
    await app.close();
  });

  it('refuses at construction rules that no token could meet', async () => {
    const tandem = await createTandem({ store: new MemoryStore(), commands: [OpenAccount] });
    await assert.rejects(
      createHttpServer({ tandem, auth: { secret, maxLifetimeSeconds: -1 } }),
      /maxLifetimeSeconds must be a positive whole number/,
    );
  });
});
