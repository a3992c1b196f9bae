import type { StandardJSONSchemaV1 } from '@standard-schema/spec';
import { errorCatalog, requiresIdempotencyKey, type AnyCommandDefinition } from '@tandem/core';
import { errorStatus } from './error-status.js';

/** The command's input as JSON Schema, when its validator can say (Standard JSON Schema). */
function inputSchema(definition: AnyCommandDefinition): Record<string, unknown> {
  const standard = definition.schema['~standard'] as Partial<StandardJSONSchemaV1.Props>;
  try {
    const schema = standard.jsonSchema?.input({ target: 'draft-2020-12' });
    if (schema !== undefined) {
      const { $schema: _dialect, ...rest } = schema;
      return rest;
    }
  } catch {
    // The validator cannot express this schema; fall through to a permissive one.
  }
  return { type: 'object', description: 'Validated at runtime; this validator does not export JSON Schema.' };
}

const problem = { $ref: '#/components/schemas/Problem' };

/** Builds the OpenAPI 3.1 document for every registered command. */
export function openApiDocument(
  definitions: Iterable<AnyCommandDefinition>,
  info: { readonly title: string; readonly version: string },
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const statuses = [...new Set(Object.values(errorStatus))].sort();
  for (const definition of definitions) {
    paths[`/commands/${definition.type}`] = {
      post: {
        operationId: definition.type,
        summary: definition.description ?? definition.type,
        security: [{ bearer: [] }],
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: requiresIdempotencyKey(definition),
            schema: { type: 'string', minLength: 1, maxLength: 200 },
            description: 'The command id. Retries with the same key have one effect and get the same answer.',
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: inputSchema(definition) } } },
        responses: {
          200: {
            description: 'Accepted. Read your write with the Tandem-Position header.',
            headers: { 'Tandem-Position': { schema: { type: 'integer' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandAccepted' } } },
          },
          ...Object.fromEntries(
            statuses.map((status) => [
              status,
              { description: 'Problem', content: { 'application/problem+json': { schema: problem } } },
            ]),
          ),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        CommandAccepted: {
          type: 'object',
          required: ['commandId', 'ids', 'position'],
          properties: {
            commandId: { type: 'string' },
            ids: { type: 'object', additionalProperties: { type: 'string' } },
            position: { type: 'integer' },
          },
        },
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'retryable'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', enum: Object.keys(errorCatalog) },
            retryable: { type: 'boolean' },
            details: { type: 'object' },
          },
        },
      },
    },
  };
}
