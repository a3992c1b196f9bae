import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { TandemError } from '@tandem/core';

/**
 * Parses JSON bodies as Fastify does (prototype poisoning refused), after checking the bytes are
 * UTF-8: decoding invalid bytes would silently turn them into U+FFFD, so what a command stored
 * would differ from what the caller sent. Refused instead, as a 400 naming the body.
 */
export function registerJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(
        new TandemError('validation', 'The body is not valid UTF-8', {
          details: { issues: [{ path: '', message: 'Invalid UTF-8' }] },
        }),
        undefined,
      );
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });
}
