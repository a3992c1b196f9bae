/**
 * `@tandem/redis`.
 *
 * @packageDocumentation
 */
export {};
