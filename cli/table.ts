import { createStyle, type Style, visibleWidth } from "./output.ts";

/** One column of a {@link renderTable}. */
export interface Column {
  header: string;
  /** Numbers go right. Defaults to left. */
  align?: "left" | "right";
}

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Rows set apart below a rule, such as a total. */
  footer?: string[][];
  /** Spaces before every line. Defaults to 2. */
  indent?: number;
  /** Bold headers when colours are on. */
  style?: Style;
}

/**
 * A plain-text table: columns as wide as their widest cell (colour codes do not count), two spaces apart,
 * the header on top and footer rows below a rule. No trailing spaces, ends with a newline.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly string[][],
  options: TableOptions = {},
): string {
  const style = options.style ?? createStyle(false);
  const footer = options.footer ?? [];
  const indent = " ".repeat(options.indent ?? 2);
  const widths = columns.map((column, i) =>
    Math.max(visibleWidth(column.header), ...[...rows, ...footer].map((row) => visibleWidth(row[i] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    indent +
    columns
      .map((column, i) => {
        const cell = cells[i] ?? "";
        const pad = " ".repeat(widths[i]! - visibleWidth(cell));
        return column.align === "right" ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  const header = line(columns.map((c) => c.header));
  const lines = [style.bold(header), ...rows.map(line)];
  if (footer.length > 0) {
    lines.push(indent + "-".repeat(widths.reduce((sum, w) => sum + w, 0) + 2 * (columns.length - 1)));
    lines.push(...footer.map(line));
  }
  return `${lines.join("\n")}\n`;
}
