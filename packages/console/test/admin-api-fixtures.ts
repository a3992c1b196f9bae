/**
 * Answers shaped exactly as the console's API contract gives them (events, streams, parked, audit,
 * live), for browser tests of pages whose endpoints a server may not have.
 */

/** An event as the admin API shows it. */
export function shownEvent(position: number, overrides: Record<string, unknown> = {}) {
  return {
    position,
    eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    streamId: 'order-1',
    streamVersion: position,
    type: position % 2 === 0 ? 'OrderPaid' : 'OrderPlaced',
    schemaVersion: 1,
    recordedAt: new Date(Date.UTC(2026, 11, 7, 12, 0, position)).toISOString(),
    metadata: {
      correlationId: `corr-${position % 3}`,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      userId: 'alice',
    },
    data: { orderId: 'order-1', total: 1_000 * position },
    ...overrides,
  };
}

/** One live sample at `seconds` past noon. */
export function liveSample(seconds: number, settled: number, failed: number, lag: number) {
  return {
    at: new Date(Date.UTC(2026, 11, 7, 12, 0, seconds)).toISOString(),
    head: 100 + settled,
    commands: { settled, failed },
    projections: [
      {
        name: 'order-summaries',
        state: 'running',
        position: 100 + settled - lag,
        lagEvents: lag,
        lagSeconds: lag / 10,
        parked: 2,
        owner: 'web-1',
        paused: false,
      },
    ],
    ready: false,
    causes: [
      { kind: 'lagging', projection: 'order-summaries', message: 'order-summaries lags 30 s behind the log' },
    ],
    degraded: [{ kind: 'job-failing', job: 'timers', message: 'the timer scheduler failed its last round' }],
    processes: [
      { owner: 'web-1', projections: ['order-summaries'], jobs: ['timers'], self: true },
      { owner: 'worker-2', projections: [], jobs: ['retention'], self: false },
    ],
  };
}

/** A text/event-stream body: history, one sample, a keep-alive comment. */
export function liveStream(): string {
  const history = { samples: [liveSample(0, 0, 0, 0), liveSample(2, 10, 1, 4), liveSample(4, 30, 1, 12)] };
  return [
    `event: history\ndata: ${JSON.stringify(history)}\n\n`,
    ': keep-alive\n\n',
    `event: sample\ndata: ${JSON.stringify(liveSample(6, 50, 3, 20))}\n\n`,
  ].join('');
}

/** A parked event of order-summaries. */
export function parkedRow(position: number) {
  return {
    projection: 'order-summaries',
    namespace: 'order-summaries_v1',
    position,
    eventId: shownEvent(position).eventId,
    streamId: 'order-1',
    type: 'OrderPlaced',
    reason: position === 3 ? 'blocked' : 'failed',
    error: 'Cannot read properties of undefined (reading "total")',
    attempts: 3,
    parkedAt: new Date(Date.UTC(2026, 11, 7, 12, 5, position)).toISOString(),
    event: shownEvent(position),
  };
}

/** A row of the audit. */
export function auditEntry(id: number, outcome: string, errorCode: string | null) {
  return {
    id,
    commandId: `00000000-0000-4000-9000-${String(id).padStart(12, '0')}`,
    commandType: 'PlaceOrder',
    userId: 'alice',
    streamIds: outcome === 'accepted' ? ['order-1'] : [],
    outcome,
    errorCode,
    position: outcome === 'accepted' ? id : null,
    at: new Date(Date.UTC(2026, 11, 7, 12, 10, id)).toISOString(),
  };
}
