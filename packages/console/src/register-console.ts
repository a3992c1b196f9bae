import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TandemError } from '@tandem/core';
import { problemDetails } from '@tandem/http';
import { consoleSecurityHeaders } from './console-security-headers.js';

/** Options for {@link registerConsole}. */
export interface ConsoleOptions {
  /**
   * The folder holding the built front end (its index.html and assets/); default this package's
   * `dist/app`, which `npm run build` (vite) writes.
   */
  readonly root?: string;
}

/**
 * The built front end, from `src/` (development through tsx) and from `dist/` (installed) alike:
 * both sit one level under the package folder.
 */
const defaultRoot = fileURLToPath(new URL('../dist/app/', import.meta.url));

/** Hashed file names (Vite's `name-<hash>.js`) never change content: cache them for a year. */
const immutable = 'public, max-age=31536000, immutable';

/** Sends a refusal as problem+json (the server's own `sendProblem` is not exported). */
function sendRefusal(reply: FastifyReply, error: TandemError): FastifyReply {
  const problem = problemDetails(error, reply.request.id);
  return reply
    .status(problem.status)
    .header('cache-control', 'no-store')
    .type('application/problem+json')
    .send(problem);
}

/** Answers 503 problem+json: the console's assets were not built. */
function notBuilt(reply: FastifyReply, root: string): FastifyReply {
  return sendRefusal(
    reply,
    new TandemError(
      'unavailable',
      `The console is not built (no ${join(root, 'index.html')}): run \`npm run build --workspace @tandem/console\``,
    ),
  );
}

/**
 * Serves the web console at `/console/` (and redirects `/console` there): the static front end
 * built by Vite, with a strict Content-Security-Policy, `nosniff` and `no-referrer`, hashed assets
 * cached for a year and index.html revalidated on every load. The assets are public code: every
 * datum the console shows comes from the admin API, with the admin token the user signs in with.
 * When the assets are missing, `/console/` answers a 503 problem+json saying to build them; the
 * server starts regardless.
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): Promise<void> {
  const root = options.root ?? defaultRoot;
  await app.register(async (scope) => {
    // Headers on every answer of this scope: files, redirects, 404s and the 503 alike.
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(consoleSecurityHeaders);
      return payload;
    });
    // The file server refuses odd paths (`..%5c`, a NUL) with 4xx errors of its own, which the
    // server's error handler would take for bugs (500): they are bad input, answered as such.
    scope.setErrorHandler(async (error, _request, reply) => {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status !== 'number' || status < 400 || status >= 500) throw error;
      return sendRefusal(
        reply,
        status === 400
          ? new TandemError('validation', 'The console path is not valid')
          : new TandemError('not-found', 'No such console file'),
      );
    });
    scope.get('/console', async (_request, reply) => reply.redirect('/console/', 301));
    if (!existsSync(join(root, 'index.html'))) {
      scope.get('/console/', async (_request, reply) => notBuilt(reply, root));
      scope.get('/console/*', async (_request, reply) => notBuilt(reply, root));
      return;
    }
    await scope.register(fastifyStatic, {
      root,
      prefix: '/console/',
      // The app's own reply.sendFile, if any, stays its own.
      decorateReply: false,
      // Dotfiles and directory listings are never served.
      dotfiles: 'ignore',
      list: false,
      // Cache-Control is ours (setHeaders): the plugin's own would override it.
      cacheControl: false,
      wildcard: true,
      index: ['index.html'],
      setHeaders: (response, path) => {
        response.setHeader(
          'cache-control',
          path.endsWith('index.html')
            ? 'no-cache'
            : path.includes('/assets/')
              ? immutable
              : 'public, max-age=300',
        );
      },
    });
  });
}
