import type { ComponentChildren } from 'preact';

/** One column of a {@link DataTable}. */
export interface Column<Row> {
  readonly header: ComponentChildren;
  readonly cell: (row: Row) => ComponentChildren;
  /** Right-aligned numbers. */
  readonly numeric?: boolean;
}

/** Props of {@link DataTable}. */
export interface DataTableProps<Row> {
  /** The table's caption: its accessible name. */
  readonly caption: string;
  readonly columns: readonly Column<Row>[];
  readonly rows: readonly Row[];
  readonly rowKey: (row: Row) => string;
  /** Shown in one full-width cell under a row, when it gives something (an expanded row). */
  readonly detail?: (row: Row) => ComponentChildren | undefined;
  /** Shown when there are no rows. */
  readonly empty?: string;
  /** Keep the last column (the row's actions) in view when a narrow window scrolls the table. */
  readonly stickyActions?: boolean;
}

/** A table with a caption and column headers; rows may open a detail row beneath. */
export function DataTable<Row>(props: DataTableProps<Row>) {
  return (
    <div class="table-wrap">
      <table class={props.stickyActions === true ? 'sticky-actions' : undefined}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column, i) => (
              <th key={i} scope="col" class={column.numeric === true ? 'num' : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="empty">
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          ) : (
            props.rows.flatMap((row) => {
              const key = props.rowKey(row);
              const detail = props.detail?.(row);
              return [
                <tr key={key}>
                  {props.columns.map((column, i) => (
                    <td key={i} class={column.numeric === true ? 'num' : undefined}>
                      {column.cell(row)}
                    </td>
                  ))}
                </tr>,
                detail === undefined ? null : (
                  <tr key={`${key}-detail`} class="detail">
                    <td colSpan={props.columns.length}>{detail}</td>
                  </tr>
                ),
              ];
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
