/**
 * The key layout of one Redis read store. Every key starts with the store's prefix, so apps and
 * tests share a server without meeting; docs/redis.md lists them. Namespaces (`name@version…`)
 * and collection names hold no `:` (the store refuses such collection names), so a key names one
 * thing only; the document id comes last and may hold anything.
 */
export class RedisKeys {
  /** The prefix, without its trailing `:`. */
  readonly prefix: string;

  constructor(prefix: string) {
    if (prefix.length === 0) throw new Error('The Redis key prefix must not be empty');
    this.prefix = prefix;
  }

  /** Hash namespace → projection: the namespaces prepared, the marker a restart wipes. */
  get registry(): string {
    return `${this.prefix}:registry`;
  }

  /** String: the store generation, a random id written by the first prepare after a (re)start. */
  get generation(): string {
    return `${this.prefix}:generation`;
  }

  /** Hash checkpoint row (`namespace` or `namespace#p`) → position. */
  get checkpoints(): string {
    return `${this.prefix}:checkpoints`;
  }

  /**
   * Hash projection → the namespace a batch found lost (Redis restarted empty): readers refuse it
   * as lost (`read-model-lost`) rather than "not ready" until a version is activated again.
   */
  get lost(): string {
    return `${this.prefix}:lost`;
  }

  /** Hash projection → active namespace. */
  get active(): string {
    return `${this.prefix}:active`;
  }

  /** Hash collection name → its index field lists (`a,b|c`), per namespace: what drop deletes. */
  collections(namespace: string): string {
    return `${this.prefix}:collections:${namespace}`;
  }

  /** Hash event id → parked event (JSON), per namespace. */
  parked(namespace: string): string {
    return `${this.prefix}:parked:${namespace}`;
  }

  /** Hash namespace → recorded status (JSON), per projection. */
  statuses(projection: string): string {
    return `${this.prefix}:status:${projection}`;
  }

  /** The part of a document key before its id. */
  documentPrefix(namespace: string, collection: string): string {
    return `${this.prefix}:doc:${namespace}:${collection}:`;
  }

  /** String: one document as JSON. */
  document(namespace: string, collection: string, id: string): string {
    return `${this.documentPrefix(namespace, collection)}${id}`;
  }

  /** Sorted set (score 0) of every document id of a collection, in id order. */
  ids(namespace: string, collection: string): string {
    return `${this.prefix}:ids:${namespace}:${collection}`;
  }

  /** Sorted set (score 0) serving the indexes whose leading fields are `fields` (comma-joined). */
  index(namespace: string, collection: string, fields: string): string {
    return `${this.prefix}:index:${namespace}:${collection}:${fields}`;
  }

  /** Hash id → the document's index entries, so a rewrite removes exactly the old ones. */
  entries(namespace: string, collection: string): string {
    return `${this.prefix}:entries:${namespace}:${collection}`;
  }

  /** Hash lease name → `owner`, `epoch`, `expires` (ms, Redis clock). */
  lease(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }

  /** Set of every lease name. */
  get leases(): string {
    return `${this.prefix}:leases`;
  }

  /** Sorted set worker → expiry (ms, Redis clock). */
  get workers(): string {
    return `${this.prefix}:workers`;
  }

  /** Hash of one maintenance request's fields. */
  request(id: string): string {
    return `${this.prefix}:request:${id}`;
  }

  /** Sorted set of open (pending or running) request ids by enqueue order. */
  get openRequests(): string {
    return `${this.prefix}:requests:open`;
  }

  /** Sorted set of finished request ids by enqueue order (the last thousand are kept). */
  get finishedRequests(): string {
    return `${this.prefix}:requests:finished`;
  }

  /** Counter giving requests their enqueue order. */
  get requestSequence(): string {
    return `${this.prefix}:requests:sequence`;
  }

  /** Set of paused projections. */
  get paused(): string {
    return `${this.prefix}:paused`;
  }
}
