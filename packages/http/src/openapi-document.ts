import type { StandardJSONSchemaV1 } from '@standard-schema/spec';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { errorCatalog, type AnyCommandDefinition, type AnyQueryDefinition } from '@tandem/core';
import { adminOpenApiPaths } from './admin-openapi-paths.js';
import { errorStatus } from './error-status.js';
import { idempotencyKeyRequiredOverHttp } from './idempotency-key-rule.js';

/** A schema's input as JSON Schema, when its validator can say (Standard JSON Schema). */
function inputSchema(schema: StandardSchemaV1): Record<string, unknown> {
  const standard = schema['~standard'] as Partial<StandardJSONSchemaV1.Props>;
  try {
    const json = standard.jsonSchema?.input({ target: 'draft-2020-12' });
    if (json !== undefined) {
      const { $schema: _dialect, ...rest } = json;
      return rest;
    }
  } catch {
    // The validator cannot express this schema; fall through to a permissive one.
  }
  return { type: 'object', description: 'Validated at runtime; this validator does not export JSON Schema.' };
}

/**
 * A command's request body: its schema's input without the ids the server generates (callers
 * may not send them), or with them optional when the command accepts client-chosen ids.
 */
function bodySchema(definition: AnyCommandDefinition): Record<string, unknown> {
  const schema = inputSchema(definition.schema) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  const generated = new Set<string>(definition.generatedIds ?? []);
  if (generated.size === 0 || schema.properties === undefined) return schema;
  const properties = Object.fromEntries(
    Object.entries(schema.properties).filter(
      ([name]) => definition.acceptsClientIds === true || !generated.has(name),
    ),
  );
  const required = (schema.required ?? []).filter((name) => !generated.has(name));
  return { ...schema, properties, required };
}

/** Header values Tandem takes as ids: printable ASCII without spaces, as the routes check. */
const printableId = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' };

const problem = { $ref: '#/components/schemas/Problem' };

/** Builds the OpenAPI 3.1 document for every registered command and query. */
export function openApiDocument(
  definitions: Iterable<AnyCommandDefinition>,
  info: { readonly title: string; readonly version: string },
  queries: Iterable<AnyQueryDefinition> = [],
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
            required: idempotencyKeyRequiredOverHttp(definition),
            schema: printableId,
            description: idempotencyKeyRequiredOverHttp(definition)
              ? 'Required: the command id, a unique value per intended effect. Without it, a retried request (after a timeout or a dropped connection) would run the command twice; with it, retries have one effect and get the same answer.'
              : 'Optional for this command (its second run changes nothing): the command id. Retries with the same key have one effect and get the same answer.',
          },
          {
            name: 'Tandem-Correlation-Id',
            in: 'header',
            required: false,
            schema: printableId,
            description: 'Carried into the metadata of every event the command appends.',
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodySchema(definition) } },
        },
        responses: {
          200: {
            description: 'Accepted. Read your write with the Tandem-Position header.',
            headers: {
              'Tandem-Position': { schema: { type: 'integer' } },
              'Idempotent-Replayed': {
                schema: { type: 'string', enum: ['true'] },
                description: 'Present when an earlier request with this key produced the answer.',
              },
            },
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
  for (const query of queries) {
    const params = inputSchema(query.params) as { properties?: Record<string, unknown>; required?: string[] };
    paths[`/queries/${query.name}`] = {
      get: {
        operationId: query.name,
        summary: query.description ?? query.name,
        ...(query.public === true ? {} : { security: [{ bearer: [] }] }),
        parameters: [
          ...Object.entries(params.properties ?? {}).map(([name, schema]) => ({
            name,
            in: 'query',
            required: params.required?.includes(name) ?? false,
            schema,
          })),
          {
            name: 'Tandem-Min-Position',
            in: 'header',
            required: false,
            schema: { type: 'integer', minimum: 0 },
            description:
              'Read your own write: wait until the read model has passed this position (503 past the bound).',
          },
        ],
        responses: {
          200: {
            description: 'The view, as its projection stored it.',
            content: { 'application/json': { schema: { type: 'object' } } },
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
    paths: { ...paths, ...adminOpenApiPaths(statuses) },
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
