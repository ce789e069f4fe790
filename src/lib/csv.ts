// CSV output for every file the service writes (error reports, exports,
// manifests). Cells that a spreadsheet would run as a formula are neutralized.

const FORMULA_START = /^[=+\-@\t\r]/;

/** OWASP CSV-injection defence: a leading = + - @ tab or CR gets a ' in front. */
export function neutralizeCsvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  const s = neutralizeCsvCell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return values.map(cell).join(',') + '\r\n';
}

/** UTF-8 BOM: Excel opens UTF-8 CSV correctly only with it. */
export const CSV_BOM = '\uFEFF';
