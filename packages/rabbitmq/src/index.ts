/**
 * `@tandem/rabbitmq`.
 *
 * @packageDocumentation
 */
export {};
