/**
 * A document's JSON text exactly as its read model stored it, returned by a query handler whose
 * view is the document itself (`QueryCollection.getJson`). Over HTTP the text is sent as is, never
 * parsed and serialized again; in-process callers of `QueryBus.execute` get the parsed document.
 */
export class StoredJson<Doc = unknown> {
  /** Phantom: the document type the text holds, for typed views; never set. */
  declare readonly __doc?: Doc;

  constructor(readonly json: string) {}

  /** Any serializer that meets one (`JSON.stringify`, a Fastify reply) writes the document it holds. */
  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}
