import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { TandemError } from '@tandem/core';
import { durationSeconds, jwtAuthenticator, signToken, verifyToken } from '@tandem/http';

const secret = 'unit-secret-unit-secret-unit-secret';
const key = new TextEncoder().encode(secret);

/**
 * A check that `verifyToken` refused with `code`, and, when given, that the reason kept as the
 * error's cause (for logs, never sent) matches `reason`: the detail itself names no reason.
 */
function refusedWith(code: string, reason?: RegExp) {
  return (error: unknown) =>
    error instanceof TandemError &&
    error.code === code &&
    !/\bexp\b|iss|aud|subject|longer|signature|alg/i.test(error.message) &&
    (reason === undefined || reason.test(String((error.cause as Error | undefined)?.message)));
}

describe('JWT auth', () => {
  it('round-trips a token into the principal it names', async () => {
    const token = await signToken({ sub: 'alice', role: 'customer' }, secret);
    assert.deepEqual(await verifyToken(token, secret), { id: 'alice', roles: ['customer'] });
  });

  it('accepts HS256 only: another algorithm or an unsigned token is refused', async () => {
    const hs512 = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(key);
    await assert.rejects(verifyToken(hs512, secret));
    const unsigned = new UnsecuredJWT({ role: 'admin' }).setSubject('alice').encode();
    await assert.rejects(verifyToken(unsigned, secret));
    await assert.rejects(verifyToken(unsigned, secret), refusedWith('token-invalid'));
  });

  it('refuses expired tokens, tokens without a subject, and other secrets', async () => {
    const expired = await signToken({ sub: 'alice', role: 'customer' }, secret, { expiresIn: '-1s' });
    await assert.rejects(verifyToken(expired, secret), refusedWith('token-expired'));
    const anonymous = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    await assert.rejects(verifyToken(anonymous, secret), refusedWith('token-invalid', /no subject/));
    const other = await signToken({ sub: 'alice', role: 'admin' }, 'some-other-secret-some-other-secret');
    await assert.rejects(verifyToken(other, secret), refusedWith('token-invalid', /signature/));
  });

  it('remembers a verified token only for its secret and only until it expires', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const token = await signToken({ sub: 'bob', role: 'admin' }, secret, { expiresIn: '60s' });
      assert.deepEqual(await verifyToken(token, secret), { id: 'bob', roles: ['admin'] });
      assert.deepEqual(await verifyToken(token, secret), { id: 'bob', roles: ['admin'] }, 'from the cache');
      await assert.rejects(verifyToken(token, 'another-secret-another-secret-another'));
      mock.timers.setTime(Date.parse('2026-01-01T00:00:59Z'));
      assert.deepEqual(await verifyToken(token, secret), { id: 'bob', roles: ['admin'] });
      mock.timers.setTime(Date.parse('2026-01-01T00:01:00Z'));
      await assert.rejects(
        verifyToken(token, secret),
        refusedWith('token-expired'),
        'expired, though verified before',
      );
    } finally {
      mock.timers.reset();
    }
  });

  it('refuses a token without exp, whatever else it carries', async () => {
    const forever = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt()
      .sign(key);
    await assert.rejects(verifyToken(forever, secret), refusedWith('token-invalid', /"exp"/));
  });

  it('refuses a lifetime above the maximum, counted from iat, or from now without or before iat', async () => {
    const signed = (claims: { iat?: number; exp: number }) => {
      const jwt = new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice');
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
      return jwt.setExpirationTime(claims.exp).sign(key);
    };
    const now = Math.floor(Date.now() / 1000);
    const day = 24 * 3600;
    // The default maximum is 24 h.
    assert.equal((await verifyToken(await signed({ iat: now, exp: now + day }), secret)).id, 'alice');
    await assert.rejects(
      verifyToken(await signed({ iat: now, exp: now + day + 1 }), secret),
      refusedWith('token-invalid', /longer/),
    );
    // Issued a day ago with a 25 h lifetime: only an hour left, still refused (it was minted too long).
    await assert.rejects(
      verifyToken(await signed({ iat: now - day, exp: now + 3600 }), secret),
      refusedWith('token-invalid', /longer/),
    );
    // No iat: what is left from now counts.
    assert.equal((await verifyToken(await signed({ exp: now + 3600 }), secret)).id, 'alice');
    await assert.rejects(
      verifyToken(await signed({ exp: now + 2 * day }), secret),
      refusedWith('token-invalid', /longer/),
    );
    // An iat in the future cannot stretch the window: still counted from now.
    await assert.rejects(
      verifyToken(await signed({ iat: now + 10 * day, exp: now + 10 * day + 3600 }), secret),
      refusedWith('token-invalid', /longer/),
    );
    // A configured maximum, smaller or larger.
    const hour = await signed({ iat: now, exp: now + 3600 });
    await assert.rejects(
      verifyToken(hour, { secret, maxLifetimeSeconds: 3599 }),
      refusedWith('token-invalid', /longer/),
    );
    assert.equal((await verifyToken(hour, { secret, maxLifetimeSeconds: 3600 })).id, 'alice');
    const month = await signed({ iat: now, exp: now + 30 * day });
    assert.equal((await verifyToken(month, { secret, maxLifetimeSeconds: 30 * day })).id, 'alice');
    await assert.rejects(verifyToken(month, secret), refusedWith('token-invalid', /longer/));
  });

  it('checks iss and aud when the rules name them, and signToken sets them', async () => {
    const rules = { secret, issuer: 'https://auth.example', audience: 'shop-api' };
    const token = await signToken({ sub: 'carol', role: 'customer' }, rules);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as object;
    assert.deepEqual(
      { ...claims, iat: 0, exp: 0 },
      { sub: 'carol', role: 'customer', iss: 'https://auth.example', aud: 'shop-api', iat: 0, exp: 0 },
    );
    assert.deepEqual(await verifyToken(token, rules), { id: 'carol', roles: ['customer'] });
    // Rules without iss/aud accept it too; rules naming others, or a token without them, do not.
    assert.equal((await verifyToken(token, secret)).id, 'carol');
    await assert.rejects(
      verifyToken(token, { ...rules, issuer: 'https://other.example' }),
      refusedWith('token-invalid', /"iss"/),
    );
    await assert.rejects(
      verifyToken(token, { ...rules, audience: 'admin-api' }),
      refusedWith('token-invalid', /"aud"/),
    );
    const bare = await signToken({ sub: 'carol', role: 'customer' }, secret);
    assert.equal((await verifyToken(bare, secret)).id, 'carol', 'verified, and remembered, without rules');
    await assert.rejects(
      verifyToken(bare, rules),
      refusedWith('token-invalid', /"iss"|"aud"/),
      'the remembered pass is not reused',
    );
    const listed = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('dave')
      .setIssuer(rules.issuer)
      .setAudience(['reports', 'shop-api'])
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    assert.equal((await verifyToken(listed, rules)).id, 'dave', 'aud may list several audiences');
  });

  it('signs within the maximum lifetime: 12 h by default, less when the maximum is less', async () => {
    const lifetime = (token: string) => {
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
        iat: number;
        exp: number;
      };
      return claims.exp - claims.iat;
    };
    const sub = { sub: 'erin', role: 'admin' };
    assert.equal(lifetime(await signToken(sub, secret)), 12 * 3600);
    assert.equal(lifetime(await signToken(sub, { secret, maxLifetimeSeconds: 600 })), 600);
    assert.equal(lifetime(await signToken(sub, secret, { expiresIn: '24h' })), 24 * 3600);
    assert.equal(lifetime(await signToken(sub, secret, { expiresIn: 90 })), 90);
    await assert.rejects(signToken(sub, secret, { expiresIn: '30d' }), RangeError);
    await assert.rejects(
      signToken(sub, { secret, maxLifetimeSeconds: 600 }, { expiresIn: '11m' }),
      RangeError,
    );
    await assert.rejects(signToken(sub, secret, { expiresIn: 'forever' }), TypeError);
  });

  it('throws for rules no token could meet, instead of refusing every caller quietly', async () => {
    const token = await signToken({ sub: 'alice', role: 'admin' }, secret);
    for (const rules of [
      { secret: '' },
      { secret, maxLifetimeSeconds: 0 },
      { secret, maxLifetimeSeconds: 1.5 },
      { secret, maxLifetimeSeconds: Number.NaN },
      { secret, issuer: '' },
      { secret, audience: '' },
      { secret, rolesClaim: '' },
      {},
      { secret, jwks: { keys: [] } },
      { jwks: 'ftp://keys.example/jwks.json' },
      { jwks: { keys: 'none' } as never },
      { secret, audiance: 'shop-api' } as never,
      { secret, jwksCache: { cooldown: 0 } } as never,
    ]) {
      assert.throws(() => jwtAuthenticator(rules), TypeError, JSON.stringify(rules));
      await assert.rejects(verifyToken(token, rules), TypeError, JSON.stringify(rules));
    }
  });
});

describe('durationSeconds', () => {
  it("reads jose's time spans and plain seconds", () => {
    assert.equal(durationSeconds('90s'), 90);
    assert.equal(durationSeconds('30m'), 1800);
    assert.equal(durationSeconds('12h'), 43_200);
    assert.equal(durationSeconds('7 days'), 604_800);
    assert.equal(durationSeconds('2w'), 1_209_600);
    assert.equal(durationSeconds('1y'), 31_557_600);
    assert.equal(durationSeconds('1.5H'), 5400);
    assert.equal(durationSeconds('-1s'), -1);
    assert.equal(durationSeconds(3600), 3600);
  });

  it('refuses anything else, naming it', () => {
    for (const bad of ['', '12', 'h', '1 fortnight', '1constructor', '12h later', '1e3s', '--1s']) {
      assert.throws(() => durationSeconds(bad), /Expected a duration/, bad);
    }
    assert.throws(() => durationSeconds(Number.POSITIVE_INFINITY), /finite/);
  });
});
