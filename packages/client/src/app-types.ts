import type {
  AnyCommandDefinition,
  AnyQueryDefinition,
  CommandIdsOf,
  CommandInputOf,
  CommandNamed,
  CommandTypeOf,
  QueryNameOf,
  QueryNamed,
  QueryParamsOf,
  QueryViewOf,
} from '@tandem/core';

/**
 * What the client needs to know about an application: its command and query registries. Any
 * `Tandem` value's type has them (`createClient<typeof app>`), or name them yourself
 * (`createClient<AppRegistry<typeof commands, typeof queries>>`) where importing the app's type is
 * awkward.
 */
export interface AppRegistry<
  Commands extends readonly AnyCommandDefinition[] = readonly AnyCommandDefinition[],
  Queries extends readonly AnyQueryDefinition[] = readonly AnyQueryDefinition[],
> {
  readonly '~registry'?: { readonly commands: Commands; readonly queries: Queries };
}

/** The command definitions of an app type (a `Tandem` or an {@link AppRegistry}). */
export type CommandsOf<App> =
  App extends AppRegistry<infer C, readonly AnyQueryDefinition[]> ? C[number] : AnyCommandDefinition;
/** The query definitions of an app type. */
export type QueriesOf<App> =
  App extends AppRegistry<readonly AnyCommandDefinition[], infer Q> ? Q[number] : AnyQueryDefinition;

/** The command type names an app declares. */
export type CommandName<App> = CommandTypeOf<CommandsOf<App>>;
/** What a caller sends for command `T` of the app. */
export type CommandData<App, T extends string> = CommandInputOf<CommandNamed<CommandsOf<App>, T>>;
/** The id names command `T` answers. */
export type CommandIds<App, T extends string> = CommandIdsOf<CommandNamed<CommandsOf<App>, T>>;

/** The query names an app declares. */
export type QueryName<App> = QueryNameOf<QueriesOf<App>>;
/** What a caller sends as the params of query `N`. */
export type QueryParams<App, N extends string> = QueryParamsOf<QueryNamed<QueriesOf<App>, N>>;
/** The view query `N` answers (as JSON: dates arrive as strings). */
export type QueryView<App, N extends string> = QueryViewOf<QueryNamed<QueriesOf<App>, N>>;
