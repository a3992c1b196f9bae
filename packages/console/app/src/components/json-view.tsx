/** Props of {@link JsonView}. */
export interface JsonViewProps {
  readonly value: unknown;
  /** What the JSON is ("Data as stored"): its caption and accessible name. */
  readonly label: string;
}

/** A JSON value, indented, in a labelled scrollable block (focusable, so keyboards can scroll it). */
export function JsonView({ value, label }: JsonViewProps) {
  return (
    <figure class="json">
      <figcaption>{label}</figcaption>
      <pre tabIndex={0} aria-label={label}>
        {value === undefined ? 'undefined' : JSON.stringify(value, null, 2)}
      </pre>
    </figure>
  );
}
