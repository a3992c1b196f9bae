import { TandemError } from '../../errors/tandem-error.js';
import type { AuditEntry, AuditOutcome } from '../audit-entry.js';
import { boundedStorableText } from '../../messages/storable-text.js';
import type { AuditLog } from '../audit-log.js';
import type { CommandContext, CommandMiddleware } from './command-context.js';

/** Maps a refusal to its audit outcome. */
export function auditOutcomeOf(error: TandemError): AuditOutcome {
  switch (error.code) {
    case 'validation':
    case 'idempotency-key-required':
    case 'unknown-command':
    case 'payload-too-large':
    case 'unsupported-media-type':
      return 'invalid';
    case 'unauthenticated':
    case 'token-expired':
    case 'token-invalid':
      return 'unauthenticated';
    case 'forbidden':
      return 'forbidden';
    case 'concurrency-conflict':
    case 'idempotency-in-progress':
      return 'conflict';
    case 'rate-limited':
      return 'throttled';
    case 'not-found':
    case 'domain-rule':
    case 'idempotency-mismatch':
      return 'rejected';
    case 'unavailable':
    case 'internal':
      return 'failed';
  }
}

/** `text` as an audit row may hold it: storable and at most 200 characters (see `boundedStorableText`). */
function auditText(text: string | undefined): string | undefined {
  return text === undefined ? undefined : boundedStorableText(String(text));
}

/**
 * Builds the audit row for an attempt that did not commit. Caller-chosen text (type, key, user id)
 * is kept verbatim but made storable and length-bounded: the row must be written whatever was sent.
 */
export function refusedEntry(context: CommandContext, error: TandemError): AuditEntry {
  return {
    commandId: auditText(context.commandId) as string,
    commandType: auditText(context.request.type) as string,
    userId: auditText(context.user?.id ?? context.request.user?.id),
    streamIds: context.streamIds,
    payloadHash: context.payloadHash,
    outcome: auditOutcomeOf(error),
    errorCode: error.code,
    position: undefined,
    at: context.metadata.timestamp,
  };
}

/**
 * Outermost step: every attempt gets exactly one audit row. Accepted commands write theirs inside
 * the command transaction (see handle-and-commit); everything else is written here, on its own.
 */
export function auditAttempts(audit: AuditLog, onAuditError: (error: unknown) => void): CommandMiddleware {
  return async (context, next) => {
    try {
      const result = await next();
      if (context.replayed) {
        await audit
          .record({
            ...refusedEntry(context, new TandemError('internal')),
            streamIds: result.streams.map((s) => s.streamId),
            outcome: 'replayed',
            errorCode: undefined,
            position: result.position,
          })
          .catch(onAuditError);
      }
      return result;
    } catch (thrown) {
      const error = TandemError.from(thrown);
      // The refusal is what the caller must see; a failing audit write is reported, not thrown.
      await audit.record(refusedEntry(context, error)).catch(onAuditError);
      throw error;
    }
  };
}
