import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
