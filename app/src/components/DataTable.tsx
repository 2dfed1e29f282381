/** The app's one table: a header row from the columns, a row per item, in the box that scrolls it sideways on a phone. */
import { Fragment, type HTMLAttributes, type ReactNode } from "react";
import { Empty } from "./ui.tsx";

export type Column<Row> = {
  header: ReactNode;
  /** Figures: right-aligned, tabular (the `num` class on the header and the cells). */
  num?: boolean;
  cell: (row: Row, index: number) => ReactNode;
  /** A class of the cell's own beside `num`, such as up/down for a gain or a loss. */
  className?: (row: Row) => string | undefined;
};

/** What the browser test and the styles find a row by: data-* attributes, and aria-current for the open one. */
export type RowAttributes = { [name: `data-${string}`]: string | undefined } & Pick<HTMLAttributes<HTMLTableRowElement>, "aria-current">;

const classOf = (...names: (string | undefined)[]) => names.filter((name) => name !== undefined && name !== "").join(" ") || undefined;

type Common<Row> = {
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  testId?: string;
  /** For screen readers: what the table lists, where no heading says it. */
  caption?: string;
  /** Said instead of an empty table; without it an empty table shows its header alone. */
  empty?: ReactNode;
};

export type DataTableProps<Row> = Common<Row> &
  (
    | { columns: readonly Column<Row>[]; rowProps?: (row: Row) => RowAttributes; renderRow?: undefined }
    /** Rows of their own (a row and the row that unfolds under it): the columns give the header alone. */
    | { columns: readonly Pick<Column<Row>, "header" | "num">[]; renderRow: (row: Row, index: number) => ReactNode }
  );

export function DataTable<Row>(props: DataTableProps<Row>) {
  const { columns, rows, rowKey, testId, caption, empty } = props;
  if (rows.length === 0 && empty !== undefined) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        {caption === undefined ? null : <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={index} scope="col" className={column.num ? "num" : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.renderRow !== undefined
            ? rows.map((row, index) => <Fragment key={rowKey(row)}>{props.renderRow(row, index)}</Fragment>)
            : rows.map((row, index) => (
                <tr key={rowKey(row)} {...props.rowProps?.(row)}>
                  {props.columns.map((column, columnIndex) => (
                    <td key={columnIndex} className={classOf(column.num ? "num" : undefined, column.className?.(row))}>
                      {column.cell(row, index)}
                    </td>
                  ))}
                </tr>
              ))}
        </tbody>
      </table>
    </div>
  );
}
