import { AsyncLocalStorage } from 'node:async_hooks';

/** The projection whose `apply` the current async context runs inside. */
const applying = new AsyncLocalStorage<string>();

/**
 * Runs `work` as the `apply` of projection `name`: whatever it calls, however deep, can ask
 * {@link projectionApplying} and be told so. The command bus does, to refuse a command sent from
 * inside an apply: the apply holds the read store's transaction, and on SQLite (one writer) the
 * command would wait for that transaction while the transaction waits for the command, a deadlock
 * that showed as `running` and a healthy `/health` while every write of the process hung.
 */
export function inProjectionApply<T>(name: string, work: () => Promise<T>): Promise<T> {
  return applying.run(name, work);
}

/** The name of the projection whose `apply` the caller runs inside, if any. */
export function projectionApplying(): string | undefined {
  return applying.getStore();
}
