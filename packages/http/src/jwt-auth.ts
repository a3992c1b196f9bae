import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from '@tandem/core';

const encoder = new TextEncoder();

/** Signs an HS256 token for `sub` with one `role`. */
export async function signToken(
  claims: { readonly sub: string; readonly role: string },
  secret: string,
  options: { readonly expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(encoder.encode(secret));
}

/** Verifies an HS256 token (and only HS256) and returns the caller it names. Throws if invalid. */
export async function verifyToken(token: string, secret: string): Promise<Principal> {
  const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ['HS256'] });
  if (typeof payload.sub !== 'string' || payload.sub.length === 0)
    throw new Error('The token has no subject');
  const role = typeof payload.role === 'string' ? payload.role : undefined;
  return { id: payload.sub, roles: role === undefined ? [] : [role] };
}

/** The caller from an `Authorization: Bearer` header, or undefined when absent or invalid. */
export async function authenticate(
  header: string | undefined,
  secret: string,
): Promise<Principal | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  try {
    return await verifyToken(match[1], secret);
  } catch {
    // Bad, expired or forged tokens are simply "no credentials": the pipeline answers 401.
    return undefined;
  }
}
