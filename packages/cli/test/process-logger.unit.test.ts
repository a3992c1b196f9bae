import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createProcessLogger, logFormat, redactSecrets, tracingEndpoint } from '@tandem/cli';

const jwt =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

/** A logger writing JSON lines into an array. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { lines, logger: createProcessLogger({ destination, format: 'json' }) };
}

describe('redactSecrets', () => {
  it('hides URL passwords, bearer tokens, JWTs and secret parameters wherever they sit in a text', () => {
    assert.equal(
      redactSecrets('connect ECONNREFUSED postgres://shop:p%40ss:w0rd@10.0.0.7:5432/shop failed'),
      'connect ECONNREFUSED postgres://shop:***@10.0.0.7:5432/shop failed',
    );
    assert.equal(redactSecrets(`Authorization: Bearer ${jwt}`), 'Authorization: Bearer ***');
    assert.equal(redactSecrets(`token ${jwt} refused`), 'token *** refused');
    assert.equal(redactSecrets('host=db password=hunter2 user=shop'), 'host=db password=*** user=shop');
    assert.equal(
      redactSecrets('nothing to hide here: http://example.com/a?b=c'),
      'nothing to hide here: http://example.com/a?b=c',
    );
  });
});

describe('the process logger', () => {
  it('writes credentials in fields, messages and errors as redacted', () => {
    const { lines, logger } = capture();
    logger.info({ req: { headers: { authorization: `Bearer ${jwt}`, cookie: 'sid=abc123' } } }, 'request');
    logger.info(
      { password: 'hunter2', config: { secret: 's3cr3t', databaseUrl: 'postgres://u:pw@h/db' } },
      'config',
    );
    logger.error({ err: new Error('could not connect to postgres://u:Pw-9@h/db') }, `with Bearer ${jwt}`);
    const text = lines.join('\n');
    for (const secret of [jwt, 'abc123', 'hunter2', 's3cr3t', ':pw@', 'Pw-9'])
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    /** The fields of the three lines this test reads. */
    interface Line {
      readonly msg: string;
      readonly req?: { readonly headers: { readonly authorization: string } };
      readonly config?: { readonly databaseUrl: string };
      readonly err?: { readonly message: string; readonly stack: string };
    }
    const [request, config, failure] = lines.map((line) => JSON.parse(line) as Line);
    assert.equal(request?.req?.headers.authorization, '[redacted]');
    assert.equal(config?.config?.databaseUrl, '[redacted]');
    assert.equal(failure?.msg, 'with Bearer ***');
    assert.match(String(failure?.err?.message), /postgres:\/\/u:\*\*\*@h\/db/);
    assert.match(String(failure?.err?.stack), /postgres:\/\/u:\*\*\*@h\/db/);
  });

  it('reads TANDEM_LOG_FORMAT, refusing what it does not know', () => {
    assert.equal(logFormat({}), undefined);
    assert.equal(logFormat({ TANDEM_LOG_FORMAT: 'pretty' }), 'pretty');
    assert.throws(() => logFormat({ TANDEM_LOG_FORMAT: 'xml' }), /TANDEM_LOG_FORMAT/);
  });
});

describe('tracingEndpoint', () => {
  it('exports only when an OTLP endpoint is set and nothing turns exporting off', () => {
    assert.equal(tracingEndpoint({}), undefined);
    assert.equal(
      tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }),
      'http://collector:4318/v1/traces',
    );
    assert.equal(
      tracingEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
      }),
      'http://traces:4318/custom',
    );
    assert.equal(
      tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }),
      undefined,
    );
    assert.equal(
      tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
      undefined,
    );
  });
});
