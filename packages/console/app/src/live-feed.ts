import type { LiveSample } from './api-types.js';
import { SseParser } from './sse-parser.js';

/** What the overview hears from a live feed. */
export interface LiveFeedHandlers {
  /** The server's history, on each (re)connect: replaces what was shown. */
  history(samples: readonly LiveSample[]): void;
  sample(sample: LiveSample): void;
  /** The connection's state, for the status line. */
  status(status: LiveStatus): void;
  /** The token was refused (401): sign out. */
  unauthenticated(): void;
}

/** Where the feed stands. */
export type LiveStatus =
  | { readonly state: 'connecting' }
  | { readonly state: 'live' }
  | { readonly state: 'waiting'; readonly retryInMs: number; readonly reason: string };

/** Backoff between reconnects: 1 s, doubling, at most 30 s; back to 1 s once connected. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

/**
 * Reads `GET /admin/live` with fetch (EventSource cannot send the Authorization header), parses
 * its server-sent events and reconnects with backoff whenever it ends or fails. Returns the stop.
 */
export function openLiveFeed(token: string, handlers: LiveFeedHandlers): () => void {
  const controller = new AbortController();
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = (reason: string) => {
    if (controller.signal.aborted) return;
    const wait = backoffMs(attempt++);
    handlers.status({ state: 'waiting', retryInMs: wait, reason });
    timer = setTimeout(() => void connect(), wait);
  };

  const connect = async () => {
    handlers.status({ state: 'connecting' });
    try {
      const response = await fetch('/admin/live', {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (response.status === 401) return handlers.unauthenticated();
      if (!response.ok || response.body === null) return retry(`the server answered ${response.status}`);
      attempt = 0;
      handlers.status({ state: 'live' });
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          // One bad message is skipped, not the end of the feed.
          try {
            if (message.event === 'history') {
              handlers.history((JSON.parse(message.data) as { samples: LiveSample[] }).samples);
            } else if (message.event === 'sample') {
              handlers.sample(JSON.parse(message.data) as LiveSample);
            }
          } catch {
            continue;
          }
        }
      }
      retry('the server closed the feed');
    } catch (error) {
      if (!controller.signal.aborted) retry(error instanceof Error ? error.message : String(error));
    }
  };

  void connect();
  return () => {
    controller.abort();
    if (timer !== undefined) clearTimeout(timer);
  };
}
