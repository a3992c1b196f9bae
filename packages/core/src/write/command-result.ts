/** What a successful command returns. Never the created object: read it through a query. */
export interface CommandResult<Ids extends string = string> {
  readonly commandId: string;
  readonly commandType: string;
  /** Ids the command created, by field name (client-supplied or generated). */
  readonly ids: Readonly<Record<Ids, string>>;
  /** Global position of the command's last event; wait for it to read your own writes. */
  readonly position: number;
  /** The version each written stream reached. */
  readonly streams: readonly { readonly streamId: string; readonly version: number }[];
}
