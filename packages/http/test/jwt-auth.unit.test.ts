import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { authenticate, signToken, verifyToken } from '@tandem/http';

const secret = 'unit-secret-unit-secret-unit-secret';
const key = new TextEncoder().encode(secret);

describe('JWT auth', () => {
  it('round-trips a token into the principal it names', async () => {
    const token = await signToken({ sub: 'alice', role: 'customer' }, secret);
    assert.deepEqual(await verifyToken(token, secret), { id: 'alice', roles: ['customer'] });
    assert.deepEqual(await authenticate(`Bearer ${token}`, secret), { id: 'alice', roles: ['customer'] });
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
    assert.equal(await authenticate(`Bearer ${unsigned}`, secret), undefined);
  });

  it('refuses expired tokens, tokens without a subject, and other secrets', async () => {
    const expired = await signToken({ sub: 'alice', role: 'customer' }, secret, { expiresIn: '-1s' });
    await assert.rejects(verifyToken(expired, secret));
    const anonymous = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await assert.rejects(verifyToken(anonymous, secret), /no subject/);
    const other = await signToken({ sub: 'alice', role: 'admin' }, 'some-other-secret-some-other-secret');
    assert.equal(await authenticate(`Bearer ${other}`, secret), undefined);
    assert.equal(await authenticate(undefined, secret), undefined);
    assert.equal(await authenticate('Basic YWxpY2U6cHc=', secret), undefined);
  });

  it('remembers a verified token only for its secret and only until it expires', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const token = await signToken({ sub: 'bob', role: 'admin' }, secret, { expiresIn: '60s' });
      assert.deepEqual(await verifyToken(token, secret), { id: 'bob', roles: ['admin'] });
      assert.deepEqual(await verifyToken(token, secret), { id: 'bob', roles: ['admin'] }, 'from the cache');
      await assert.rejects(verifyToken(token, 'another-secret-another-secret-another'));
      mock.timers.setTime(Date.parse('2026-01-01T00:00:59Z'));
      assert.deepEqual(await authenticate(`Bearer ${token}`, secret), { id: 'bob', roles: ['admin'] });
      mock.timers.setTime(Date.parse('2026-01-01T00:01:00Z'));
      await assert.rejects(verifyToken(token, secret), 'expired, though verified before');
      assert.equal(await authenticate(`Bearer ${token}`, secret), undefined);
    } finally {
      mock.timers.reset();
    }
  });
});
