export {
  createClient,
  type ClientOptions,
  type ClientRetryPolicy,
  type CommandAnswer,
  type CommandCallOptions,
  type QueryCallOptions,
  type TandemClient,
} from './create-client.js';
export { TandemClientError, type ProblemBody } from './tandem-client-error.js';
export type {
  AppRegistry,
  CommandData,
  CommandIds,
  CommandName,
  CommandsOf,
  QueriesOf,
  QueryName,
  QueryParams,
  QueryView,
} from './app-types.js';
