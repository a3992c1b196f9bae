import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { TandemError } from '@tandem/core';

function invalidBody(message: string): TandemError {
  return new TandemError('validation', message, { details: { issues: [{ path: '', message }] } });
}

/**
 * Parses JSON bodies with secure-json-parse (Fastify's own parser: `__proto__` and
 * `constructor.prototype` keys refused), after checking the bytes are UTF-8: decoding invalid
 * bytes would silently turn them into U+FFFD, so what a command stored would differ from what the
 * caller sent. Both are refused as a 400 naming the body.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      done(
        invalidBody('The body is empty; send a JSON object ({} when the command has no fields)'),
        undefined,
      );
      return;
    }
    if (!isUtf8(bytes)) {
      done(invalidBody('The body is not valid UTF-8'), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = secureJson.parse(bytes.toString('utf8'), undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
    } catch (error) {
      done(
        invalidBody(
          error instanceof SyntaxError && /prototype|constructor/i.test(error.message)
            ? 'The body uses a reserved key (__proto__ or constructor.prototype)'
            : 'The body is not valid JSON',
        ),
        undefined,
      );
      return;
    }
    done(null, parsed);
  });
}
