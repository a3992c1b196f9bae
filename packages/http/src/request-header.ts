import type { FastifyRequest } from 'fastify';

/** A request header's value (the first, when it was sent more than once). */
export function requestHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const printableId = /^[\x21-\x7e]{1,200}$/;

/**
 * A header value used as an id (Idempotency-Key, Tandem-Correlation-Id): 1 to 200 printable
 * ASCII characters, no spaces. Node hands header bytes over as Latin-1, so anything beyond ASCII
 * (invalid UTF-8 included) would arrive as other characters than were sent: refused instead.
 */
export function isPrintableId(value: string): boolean {
  return printableId.test(value);
}
