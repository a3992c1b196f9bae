import type { FastifyBaseLogger } from 'fastify';
import type { Tandem } from '@tandem/core';
import { countCommands, type CommandCounts } from './command-counts.js';
import { takeSample, type LiveSample } from './live-sample.js';
import type { Readiness } from './readiness.js';
import { RingBuffer } from './ring-buffer.js';

/** Options for {@link LiveSampler}. */
export interface LiveSamplerOptions {
  readonly tandem: Tandem;
  /** The server's readiness, so that the samples judge lag as `/health/ready` does. */
  readonly readiness: Readiness;
  /** Time between samples. */
  readonly intervalMs: number;
  /** Where an outage of the store is logged (once per outage). */
  readonly logger: FastifyBaseLogger;
}

/** How much history a new subscriber receives. */
const historyMs = 10 * 60_000;

/** The most samples kept, whatever the interval: a tiny interval keeps less than ten minutes. */
const maxSamples = 3_000;

/** How long one look may stay unanswered before the ticks meanwhile count as failed samples. */
const minHungMs = 10_000;

/**
 * Samples the server for the live overview (`GET /admin/live`): one {@link LiveSample} every
 * `intervalMs`, the last ten minutes kept for whoever connects next. Sampling starts with the
 * first subscriber, not with the server (a server nobody watches reads nothing), and then goes on
 * while the server runs, so that a console opened later still gets its history; {@link close}
 * (the server's close) stops it. Command counts start with the sampler (the server), so they are
 * cumulative from the start.
 *
 * One look at a time: a tick that finds the previous look still running is skipped, and once a
 * look has hung for `max(10 s, 5 intervals)` each tick records a failed sample instead, so a hung
 * store shows rather than freezes the overview. A look never throws into the loop: a failure is a
 * sample with `ready: false` and its cause, logged when the outage begins and when it ends, not at
 * every tick.
 */
export class LiveSampler {
  readonly #options: LiveSamplerOptions;
  readonly #samples: RingBuffer<LiveSample>;
  readonly #listeners = new Set<(sample: LiveSample) => void>();
  readonly #counts: CommandCounts;
  readonly #hungMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** The look under way, and when it began. */
  #look: { readonly done: Promise<void>; readonly since: number } | undefined;
  #lastHead = 0;
  /** Whether the last sample failed: the outage was logged. */
  #failing = false;
  #closed = false;

  constructor(options: LiveSamplerOptions) {
    this.#options = options;
    this.#samples = new RingBuffer(Math.min(maxSamples, Math.ceil(historyMs / options.intervalMs)));
    this.#counts = countCommands(options.tandem);
    this.#hungMs = Math.max(minHungMs, 5 * options.intervalMs);
  }

  /** The samples of the last ten minutes (at most 3 000), oldest first. */
  history(): LiveSample[] {
    return this.#samples.toArray();
  }

  /**
   * Calls `listener` with every sample from now on, starting the sampling (with a look at once)
   * if it has not started. Answers the function that unsubscribes. After {@link close}, nothing.
   */
  subscribe(listener: (sample: LiveSample) => void): () => void {
    if (this.#closed) return () => undefined;
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
      // The server's handles keep the process alive while it runs; this timer must not on its own.
      this.#timer.unref();
      this.#tick();
    }
    return () => this.#listeners.delete(listener);
  }

  /** Stops sampling and waits for a look under way, so nothing reads the store after the close. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#listeners.clear();
    this.#counts.close();
    await this.#look?.done;
  }

  #tick(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (this.#look !== undefined) {
      if (now - this.#look.since >= this.#hungMs) {
        const seconds = Math.round((now - this.#look.since) / 1000);
        const message = `the store has not answered for ${seconds} s`;
        this.#record(
          {
            at: new Date(now).toISOString(),
            head: this.#lastHead,
            commands: this.#counts.totals(),
            projections: [],
            ready: false,
            causes: [{ kind: 'store-unreachable', message }],
            degraded: [],
            processes: [],
          },
          message,
        );
      }
      return;
    }
    const { tandem, readiness } = this.#options;
    const done = takeSample(tandem, readiness, this.#counts.totals(), this.#lastHead)
      .then(({ sample, failure }) => {
        this.#look = undefined;
        if (!this.#closed) this.#record(sample, failure);
      })
      .catch((error: unknown) => {
        // takeSample answers its failures as samples; this is a bug's last line of defence.
        this.#look = undefined;
        this.#options.logger.error({ err: error }, 'live overview: a sample failed');
      });
    this.#look = { done, since: now };
  }

  /** Keeps a sample, sends it to every listener, and logs an outage's start and end. */
  #record(sample: LiveSample, failure: string | undefined): void {
    this.#lastHead = sample.head;
    this.#samples.push(sample);
    const { logger } = this.#options;
    if (failure !== undefined && !this.#failing)
      logger.warn({ cause: failure }, 'live overview: the store cannot be read; samples are not ready');
    else if (failure === undefined && this.#failing)
      logger.info('live overview: the store can be read again');
    this.#failing = failure !== undefined;
    for (const listener of this.#listeners) {
      try {
        listener(sample);
      } catch (error) {
        // One stream's fault (a socket torn down mid-write) must not stop the others' samples.
        logger.warn({ err: error }, 'live overview: a listener failed');
      }
    }
  }
}
