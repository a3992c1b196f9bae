import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineCommand, type AnyCommandDefinition } from '@tandem/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { openApiDocument } from '@tandem/http';
import { testServer } from './test-app.js';

interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters: { name: string; in: string; required: boolean; description?: string }[];
  requestBody: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content: Record<string, { schema: Record<string, unknown> }> }
  >;
}

interface JsonSchema {
  type?: string;
  $schema?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
}

interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, { post: Operation }>;
  components: {
    securitySchemes: Record<string, { type: string; scheme: string }>;
    schemas: Record<string, { required?: string[] }>;
  };
}

async function served(): Promise<{ doc: Document; commands: AnyCommandDefinition[] }> {
  const server = await testServer();
  const response = await server.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(response.statusCode, 200);
  return { doc: response.json<Document>(), commands: [...server.tandem.commands.definitions.values()] };
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with a bearer scheme and the accepted and problem schemas', async () => {
    const { doc } = await served();
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info, { title: 'Tandem API', version: '0.1.0' });
    assert.deepEqual(doc.components.securitySchemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    assert.deepEqual(doc.components.schemas.CommandAccepted?.required, ['commandId', 'ids', 'position']);
    assert.deepEqual(doc.components.schemas.Problem?.required, [
      'type',
      'title',
      'status',
      'code',
      'retryable',
    ]);
  });

  it('has one path per command, with its JSON schema and the key header required exactly when needed', async () => {
    const { doc, commands } = await served();
    assert.deepEqual(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/commands/'))
        .sort(),
      commands.map((c) => `/commands/${c.type}`).sort(),
    );
    assert.deepEqual(
      Object.keys(doc.paths).filter((p) => !p.startsWith('/commands/') && !p.startsWith('/queries/')),
      [
        '/admin/jobs',
        '/admin/live',
        '/admin/projections',
        '/admin/projections/{name}/{action}',
        '/admin/projections/verify',
        '/admin/projections/requests/{id}',
        '/admin/timers',
        '/admin/audit',
        '/admin/parked',
        '/admin/events',
        '/admin/events/{position}',
        '/admin/streams/{streamId}',
      ],
      'and the admin API',
    );
    for (const command of commands) {
      const operation = doc.paths[`/commands/${command.type}`]?.post;
      assert.ok(operation, command.type);
      assert.equal(operation.operationId, command.type);
      assert.deepEqual(operation.security, [{ bearer: [] }]);
      const key = operation.parameters.find((p) => p.name === 'Idempotency-Key');
      assert.equal(key?.in, 'header');
      assert.equal(key?.required, command.type !== 'SetLimit', `${command.type} Idempotency-Key`);
      assert.match(
        String(key?.description),
        key?.required === true ? /would run the command twice/ : /Optional/,
      );
      const schema = operation.requestBody.content['application/json']?.schema;
      assert.equal(schema?.type, 'object', command.type);
      assert.equal(schema?.additionalProperties, false, `${command.type} refuses unknown fields`);
      assert.equal(schema?.$schema, undefined, 'the dialect is the document’s, not repeated');
      const ok = operation.responses['200'];
      assert.deepEqual(ok?.content['application/json']?.schema, {
        $ref: '#/components/schemas/CommandAccepted',
      });
      assert.ok(ok?.headers?.['Tandem-Position']);
      for (const status of ['400', '401', '403', '404', '409', '413', '415', '422', '500', '503']) {
        assert.ok(
          operation.responses[status]?.content['application/problem+json'],
          `${command.type} ${status}`,
        );
      }
    }
    assert.equal(
      doc.paths['/commands/OpenAccount']?.post.parameters.find((p) => p.name === 'Idempotency-Key')?.required,
      true,
    );
    assert.equal(
      doc.paths['/commands/Deposit']?.post.parameters.find((p) => p.name === 'Idempotency-Key')?.required,
      true,
      'required over HTTP though Deposit creates nothing',
    );
    assert.equal(
      doc.paths['/commands/SetLimit']?.post.parameters.find((p) => p.name === 'Idempotency-Key')?.required,
      false,
      'opted out',
    );
    const open = doc.paths['/commands/OpenAccount']?.post.requestBody.content['application/json']?.schema;
    assert.ok(open?.properties?.accountId, 'OpenAccount accepts client ids, so the field is listed');
    assert.deepEqual(open?.required ?? [], [], 'a server-generated id is never required');
    const deposit = doc.paths['/commands/Deposit']?.post.requestBody.content['application/json']?.schema;
    assert.deepEqual(Object.keys(deposit?.properties ?? {}).sort(), ['accountId', 'amount']);
    assert.deepEqual([...(deposit?.required ?? [])].sort(), ['accountId', 'amount']);
  });

  it('falls back to a permissive object schema when the validator exports no JSON Schema', () => {
    const plain: StandardSchemaV1<unknown, { note: string }> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: (value) => ({ value: value as { note: string } }),
      },
    };
    const command = defineCommand({ type: 'Note', schema: plain, creates: true }).handledBy({
      kind: 'state-stored',
      handle: async () => [],
    });
    const doc = openApiDocument([command], { title: 't', version: '1' }) as unknown as Document;
    const operation = doc.paths['/commands/Note']?.post;
    assert.equal(operation?.requestBody.content['application/json']?.schema.type, 'object');
    assert.equal(operation?.parameters.find((p) => p.name === 'Idempotency-Key')?.required, true);
  });
});
