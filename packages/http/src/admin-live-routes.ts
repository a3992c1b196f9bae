import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { TandemError, type Tandem } from '@tandem/core';
import { adminOnly } from './admin-only.js';
import { LiveSampler } from './live-sampler.js';
import type { Readiness } from './readiness.js';
import { sendProblem } from './send-problem.js';
import { queryRefusal } from './strict-query.js';

/** The live overview's settings (`createHttpServer`'s `console` option). */
export interface LiveOverviewOptions {
  /** Time between samples; default 2 000 ms (10 to 60 000). */
  readonly liveIntervalMs?: number;
  /** Quiet time after which a stream sends a `: keep-alive` comment; default 15 000 ms. */
  readonly liveKeepAliveMs?: number;
  /** Live streams one server keeps open at once; default 32. More are refused `rate-limited`. */
  readonly maxLiveStreams?: number;
}

/** Every key of {@link LiveOverviewOptions}, for the unknown-option check. */
export const liveOverviewOptionKeys = [
  'liveIntervalMs',
  'liveKeepAliveMs',
  'maxLiveStreams',
] as const satisfies readonly (keyof LiveOverviewOptions)[];

/** `value` if it is a whole number in range, else a TypeError naming the option. */
function bounded(name: string, value: number | undefined, fallback: number, min: number, max: number) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TypeError(`createHttpServer console.${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** One server-sent event: a name and its JSON (JSON has no line breaks, so one `data:` line). */
function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /admin/live` (admin only): the live overview as server-sent events. On connect, `history`
 * with the samples of the last ten minutes, then a `sample` at every tick of the server's
 * {@link LiveSampler}, and a `: keep-alive` comment after `liveKeepAliveMs` of quiet, so proxies
 * do not drop an idle stream. A client that does not read fast enough misses samples rather than
 * have them buffered (each sample is whole, with its time: rates still add up). Streams are
 * capped per server (`maxLiveStreams`): each costs a socket and a listener, and the samples are
 * shared, so a cap bounds what a leaked token can hold open. Every stream ends when the server
 * closes (a `preClose` hook), so `app.close()` never waits on an open console.
 */
export function registerAdminLiveRoutes(
  app: FastifyInstance,
  tandem: Tandem,
  readiness: Readiness,
  options: LiveOverviewOptions = {},
): void {
  const intervalMs = bounded('liveIntervalMs', options.liveIntervalMs, 2_000, 10, 60_000);
  const keepAliveMs = bounded('liveKeepAliveMs', options.liveKeepAliveMs, 15_000, 10, 600_000);
  const maxStreams = bounded('maxLiveStreams', options.maxLiveStreams, 32, 1, 10_000);
  const sampler = new LiveSampler({ tandem, readiness, intervalMs, logger: app.log });
  const streams = new Set<PassThrough>();
  /** Set when the server starts closing: a stream opened after would never be ended. */
  let closing = false;

  app.addHook('preClose', async () => {
    closing = true;
    for (const stream of streams) stream.end();
    await sampler.close();
  });

  app.get('/admin/live', async (request, reply) => {
    const refusal = adminOnly(request, 'watch the live overview');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = request.query as Record<string, string>;
    const refused = (params as Record<symbol, unknown>)[queryRefusal];
    if (refused !== undefined) return sendProblem(reply, TandemError.from(refused));
    const unknown = Object.keys(params);
    if (unknown.length > 0)
      return sendProblem(
        reply,
        new TandemError('validation', 'The query string is invalid', {
          details: {
            issues: unknown.map((name) => ({ path: name, message: 'Unknown parameter: this takes none' })),
          },
        }),
      );
    if (streams.size >= maxStreams)
      return sendProblem(
        reply,
        new TandemError('rate-limited', `This server already serves ${maxStreams} live streams`, {
          details: { retryAfterSeconds: 5 },
        }),
      );
    // A request admitted just before the close began: nothing may start streaming now.
    if (closing) return sendProblem(reply, new TandemError('unavailable', 'The server is closing'));
    const stream = new PassThrough();
    streams.add(stream);
    let quietSince = Date.now();
    const send = (text: string) => {
      // A client that does not keep up misses samples: nothing piles up in memory for it.
      if (stream.writableNeedDrain || stream.writableEnded || stream.destroyed) return;
      stream.write(text);
      quietSince = Date.now();
    };
    send(event('history', { samples: sampler.history() }));
    const unsubscribe = sampler.subscribe((sample) => send(event('sample', sample)));
    const keepAlive = setInterval(
      () => {
        if (Date.now() - quietSince >= keepAliveMs) send(': keep-alive\n\n');
      },
      Math.min(keepAliveMs, 1_000),
    );
    // Closed when the client goes (Fastify destroys the payload with the socket) or on our end.
    stream.once('close', () => {
      streams.delete(stream);
      unsubscribe();
      clearInterval(keepAlive);
    });
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no')
      .send(stream);
  });
}
