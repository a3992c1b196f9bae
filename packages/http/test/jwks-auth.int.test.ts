import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createTandem, MemoryStore, TandemError, type Tandem } from '@tandem/core';
import { createHttpServer, signToken, type HttpServerOptions } from '@tandem/http';
import { FreezeAll, OpenAccount } from './test-app.js';

const issuer = 'https://id.bank.example';
const audience = 'bank-api';

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg}-${randomUUID()}`;
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token as an identity provider mints it: these claims, signed with `key`, naming its `kid`. */
function mint(key: SigningKey, claims: Record<string, unknown> = {}, options: { exp?: string } = {}) {
  return new SignJWT({
    realm_access: { roles: ['customer', 'admin'] },
    iss: issuer,
    aud: audience,
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m')
    .sign(key.privateKey);
}

/** An identity provider's key-set endpoint on localhost: serves `keys`, counts the fetches. */
class KeySetServer {
  keys: JWK[] = [];
  fetches = 0;
  readonly #server: Server = createServer((_request, response) => {
    this.fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.#server.close();
    this.#server.closeAllConnections();
    await once(this.#server, 'close');
  }
}

type Auth = Pick<HttpServerOptions, 'auth' | 'authenticate'>;

async function bank(auth: Auth) {
  const tandem: Tandem = await createTandem({ store: new MemoryStore(), commands: [OpenAccount, FreezeAll] });
  const app = await createHttpServer({ tandem, rateLimit: false, logger: false, ...auth });
  const freeze = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/commands/FreezeAll',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
      payload: JSON.stringify({ reason: 'audit' }),
    });
  const as = (token: string) => freeze({ authorization: `Bearer ${token}` });
  return { app, tandem, freeze, as };
}

describe('bearer tokens verified with a key set (JWKS)', () => {
  const provider = new KeySetServer();
  let url = '';
  let rsa: SigningKey;
  let ec: SigningKey;
  before(async () => {
    [rsa, ec] = await Promise.all([signingKey('RS256'), signingKey('ES256')]);
    provider.keys = [rsa.jwk, ec.jwk];
    url = await provider.start();
  });
  after(() => provider.stop());

  const remote = (extra: object = {}): Auth => ({
    auth: { jwks: url, issuer, audience, rolesClaim: 'realm_access.roles', ...extra },
  });

  it('accepts RS256 and ES256 tokens from a served key set, with roles from an array at a dotted path', async () => {
    const { app, as } = await bank(remote());
    for (const key of [rsa, ec]) {
      const response = await as(await mint(key));
      assert.equal(response.statusCode, 200, `${key.alg}: ${response.body}`);
    }
    // The customer role alone does not pass FreezeAll's admin check: the roles came from the claim.
    const customer = await as(await mint(rsa, { realm_access: { roles: ['customer'] } }));
    assert.equal(customer.statusCode, 403, customer.body);
    const single = await as(await mint(ec, { realm_access: { roles: 'admin' } }));
    assert.equal(single.statusCode, 200, 'one role as a string');
    await app.close();
  });

  it('refuses the wrong iss or aud, an expired token, an HS256 token and an unsigned key: 401 with no reason given', async () => {
    const { app, as } = await bank(remote());
    const stranger = await signingKey('RS256');
    const hs256 = await signToken({ sub: 'alice', role: 'admin' }, 'a-secret-a-secret-a-secret-a-secret');
    const cases: [string, string, string][] = [
      ['another issuer', await mint(rsa, { iss: 'https://evil.example' }), 'token-invalid'],
      ['another audience', await mint(ec, { aud: 'admin-api' }), 'token-invalid'],
      ['expired', await mint(rsa, {}, { exp: '-1m' }), 'token-expired'],
      ['HS256', hs256, 'token-invalid'],
      ['a key the set lacks', await mint(stranger), 'token-invalid'],
      ['a known kid, the wrong key', await mint({ ...stranger, kid: rsa.kid }), 'token-invalid'],
    ];
    for (const [name, token, code] of cases) {
      const response = await as(token);
      assert.equal(response.statusCode, 401, `${name}: ${response.body}`);
      const problem = response.json<{ code: string; detail: string }>();
      assert.equal(problem.code, code, name);
      assert.doesNotMatch(problem.detail, /kid|issuer|audience|iss|aud|RS256|HS256|signature/i, name);
    }
    await app.close();
  });

  it('fetches the set again when a token names a kid it lacks (key rotation), and caches it otherwise', async () => {
    const { app, as } = await bank(remote({ jwksCache: { cooldownMs: 0 } }));
    assert.equal((await as(await mint(rsa))).statusCode, 200);
    const fetched = provider.fetches;
    assert.equal((await as(await mint(ec))).statusCode, 200);
    assert.equal(provider.fetches, fetched, 'a known kid is served from the cached set');
    const rotated = await signingKey('ES256');
    provider.keys = [...provider.keys, rotated.jwk];
    try {
      const response = await as(await mint(rotated));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(provider.fetches, fetched + 1, 'one fetch for the new kid');
    } finally {
      provider.keys = [rsa.jwk, ec.jwk];
    }
    await app.close();
  });

  it('answers 503 unavailable when the key set cannot be fetched, not 401', async () => {
    const down = new KeySetServer();
    const downUrl = await down.start();
    await down.stop();
    const { app, as } = await bank({ auth: { jwks: downUrl, issuer, audience } });
    const response = await as(await mint(rsa));
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(response.json<{ code: string }>().code, 'unavailable');
    assert.doesNotMatch(
      response.body,
      /127\.0\.0\.1|ECONNREFUSED/,
      'the provider address stays on the server',
    );
    await app.close();
  });

  it('verifies with a local key set object, and reads a namespaced claim whose name has dots', async () => {
    const claim = 'https://bank.example/roles';
    const { app, as } = await bank({
      auth: { jwks: { keys: [ec.jwk] }, issuer, audience, rolesClaim: claim },
    });
    assert.equal((await as(await mint(ec, { [claim]: ['admin'] }))).statusCode, 200);
    assert.equal((await as(await mint(ec, { [claim]: ['customer'] }))).statusCode, 403);
    assert.equal((await as(await mint(rsa, { [claim]: ['admin'] }))).statusCode, 401, 'not in the local set');
    await app.close();
  });
});

describe('the authenticate hook', () => {
  it('names the caller however the application decides; a refusal it throws is answered as thrown', async () => {
    const { app, freeze } = await bank({
      authenticate: (request) => {
        const key = request.headers['x-api-key'];
        if (key === undefined) return undefined;
        if (key === 'ops-key') return { id: 'ops', roles: ['admin'] };
        if (key === 'slow-key') return Promise.resolve({ id: 'slow', roles: ['admin'] });
        if (key === 'broken') throw new Error('the key store is on fire');
        throw new TandemError('token-invalid', 'Unknown API key');
      },
    });
    assert.equal((await freeze({ 'x-api-key': 'ops-key' })).statusCode, 200);
    assert.equal((await freeze({ 'x-api-key': 'slow-key' })).statusCode, 200, 'a promise works too');
    const anonymous = await freeze({});
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json<{ code: string }>().code, 'unauthenticated');
    const bad = await freeze({ 'x-api-key': 'guess' });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json<{ code: string }>().code, 'token-invalid');
    const broken = await freeze({ 'x-api-key': 'broken' });
    assert.equal(broken.statusCode, 500);
    assert.doesNotMatch(broken.body, /on fire/, 'a bug in the hook is not shown to the caller');
    await app.close();
  });

  it('is required, exactly once: authenticate or auth', async () => {
    const tandem = await createTandem({ store: new MemoryStore(), commands: [OpenAccount] });
    await assert.rejects(createHttpServer({ tandem }), /authenticate .* or auth .* is required/);
    await assert.rejects(
      createHttpServer({ tandem, auth: { secret: 's' }, authenticate: () => undefined }),
      /not both/,
    );
  });
});

describe('createHttpServer options', () => {
  it('refuses unknown options, nested ones included, naming the near known one', async () => {
    const tandem = await createTandem({ store: new MemoryStore(), commands: [OpenAccount] });
    const auth = { secret: 'options-secret-options-secret-options' };
    // Built in variables, as configuration is: TypeScript's excess property check does not see these.
    const mistakes: [object, RegExp][] = [
      [
        { tandem, auth, rateLimits: false },
        /createHttpServer: unknown option "rateLimits" \(did you mean "rateLimit"\?\)/,
      ],
      [
        { tandem, auth, rateLimit: { perUsr: 10 } },
        /rateLimit: unknown option "perUsr" \(did you mean "perUser"\?\)/,
      ],
      [{ tandem, auth, operations: { metric: 'admin' } }, /operations: unknown option "metric"/],
      [{ tandem, auth, readiness: { maxLag: 5 } }, /readiness: unknown option "maxLag"/],
      [
        { tandem, auth: { ...auth, audiance: 'x' } },
        /unknown option "audiance" \(did you mean "audience"\?\)/,
      ],
      [
        { tandem, auth: { jwks: 'https://id.example/jwks', jwksCache: { ttl: 1 } } },
        /jwksCache: unknown option "ttl"/,
      ],
    ];
    for (const [options, message] of mistakes) {
      await assert.rejects(createHttpServer(options as HttpServerOptions), message);
    }
    const fine = await createHttpServer({ tandem, auth, rateLimit: false, operations: { metrics: 'admin' } });
    await fine.close();
  });
});
