import { identifierIssue } from '../messages/storable-text.js';

/**
 * When and how a decider's folded state is persisted as a snapshot, so that loading a long stream
 * reads and folds only the events after the snapshot instead of the whole stream.
 *
 * The state goes through JSON: `serialize` (default: the state itself) must answer something
 * `JSON.stringify` writes faithfully, and `deserialize` (default: the parsed value itself) must
 * rebuild the state from it. A state holding a `Map`, a `Set`, a `Date` or a class instance does not
 * survive JSON by itself (a `Map` becomes `{}`): such a decider must give both functions.
 */
export interface SnapshotPolicy<State> {
  /**
   * The snapshot version: snapshots are stored and looked up under it, so a decider whose state
   * shape, `evolve` or upcasters changed declares a new one and ignores every older snapshot. Compared
   * as text (`1` and `'1'` are the same version); 1 to 200 printable characters.
   */
  readonly version: number | string;
  /**
   * A snapshot is written, in the command's transaction, when a command takes the stream across a
   * multiple of `every` events since the last snapshot (or since the start). A whole number ≥ 1.
   */
  readonly every: number;
  /** The state as a JSON value; by default the state itself. */
  serialize?(state: State): unknown;
  /** The state from what `serialize` answered (parsed back from JSON); by default that value itself. */
  deserialize?(data: unknown): State;
}

/** A {@link SnapshotPolicy} checked, with its version as text and its defaults filled in. */
export interface CheckedSnapshotPolicy {
  /** The snapshot version as text: the key snapshots are stored under. */
  readonly key: string;
  /** The policy's `every`, checked. */
  readonly every: number;
  /** The policy's `serialize`, or the identity. */
  readonly serialize: (state: unknown) => unknown;
  /** The policy's `deserialize`, or the identity. */
  readonly deserialize: (data: unknown) => unknown;
}

const identity = (value: unknown): unknown => value;

/** Checked policies, by policy object: a policy is checked once, not on every load. */
const checked = new WeakMap<object, CheckedSnapshotPolicy>();

/**
 * The snapshot policy of `decider`, checked, or undefined when it declares none.
 *
 * @throws TypeError when `every` is not a whole number ≥ 1 or `version` is not a usable key: a
 *   programming error, reported when the command is defined (and at the latest on first load).
 */
export function snapshotPolicyOf<State>(decider: {
  readonly snapshot?: SnapshotPolicy<State> | undefined;
}): CheckedSnapshotPolicy | undefined {
  const policy = decider.snapshot;
  if (policy === undefined) return undefined;
  const known = checked.get(policy);
  if (known !== undefined) return known;
  const { every, version } = policy;
  if (typeof every !== 'number' || !Number.isSafeInteger(every) || every < 1)
    throw new TypeError(`A decider's snapshot.every must be a whole number ≥ 1, got ${String(every)}`);
  let key: string;
  if (typeof version === 'number') {
    if (!Number.isSafeInteger(version))
      throw new TypeError(`A decider's snapshot.version must be a whole number or text, got ${version}`);
    key = String(version);
  } else if (typeof version === 'string') {
    const issue = identifierIssue(version);
    if (issue !== undefined) throw new TypeError(`A decider's snapshot.version ${issue}`);
    key = version;
  } else {
    throw new TypeError('A decider that declares a snapshot must give its snapshot.version');
  }
  const result: CheckedSnapshotPolicy = {
    key,
    every,
    // Bound to the policy: a policy written as a class may use `this`.
    serialize: policy.serialize === undefined ? identity : (state) => policy.serialize?.(state as State),
    deserialize: policy.deserialize === undefined ? identity : (data) => policy.deserialize?.(data),
  };
  checked.set(policy, result);
  return result;
}
