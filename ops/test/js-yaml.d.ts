// js-yaml ships no types, and the ops tests need one function of it.
declare module 'js-yaml' {
  /** Parses one YAML document into plain values. */
  export function load(text: string): unknown;
}
