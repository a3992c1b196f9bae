/** Props of {@link CursorPager}. */
export interface CursorPagerProps<Cursor extends string | number> {
  /** The navigation's accessible name ("Pages of events"). */
  readonly label: string;
  /** The button back to the page before ("Newer") and on to the next one ("Older"). */
  readonly back: string;
  readonly forward: string;
  /** The cursors followed so far, the current page's last: empty on the first page. */
  readonly cursors: readonly Cursor[];
  readonly onChange: (cursors: readonly Cursor[]) => void;
  /** The API's cursor of the following page: null at the end, undefined while none is loaded. */
  readonly next: Cursor | null | undefined;
}

/**
 * Back and forward through an API's cursor pages. The API gives only a cursor forward, so the
 * cursors followed are kept as a stack: back pops one, and the first page has none.
 */
export function CursorPager<Cursor extends string | number>(props: CursorPagerProps<Cursor>) {
  const { cursors, onChange, next } = props;
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" disabled={cursors.length === 0} onClick={() => onChange(cursors.slice(0, -1))}>
        {props.back}
      </button>
      <button
        type="button"
        disabled={next === null || next === undefined}
        onClick={() => {
          if (next !== null && next !== undefined) onChange([...cursors, next]);
        }}
      >
        {props.forward}
      </button>
    </nav>
  );
}
