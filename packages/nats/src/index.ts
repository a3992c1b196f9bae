/**
 * `@tandem/nats`.
 *
 * @packageDocumentation
 */
export {};
