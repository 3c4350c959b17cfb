/** Plain-text tables for human output. */

/** Pads columns to their widest cell; the last column is not padded. */
export function renderTable(rows: readonly (readonly string[])[], gap = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1
        ? cell
        : cell.padEnd((widths[i] ?? 0) + gap - ([...cell].length - cell.length)))
      )
      .join("")
      .trimEnd()
  );
}
