import type { CommandMetadata } from '../messages/command-metadata.js';
import type { Principal } from '../messages/principal.js';

/** What a handler receives: validated data, who asked, and the command's metadata. */
export interface HandlerInput<Data> {
  readonly data: Data;
  /** The authenticated caller; handlers run only for authenticated callers. */
  readonly user: Principal;
  readonly metadata: CommandMetadata;
}
