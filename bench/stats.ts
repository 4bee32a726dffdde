/**
 * Statistics and table formatting for `npm run bench`: nearest-rank percentiles over the
 * samples the page returns, and the per-browser table (figure, bridge, raw channel, direct,
 * ratio bridge/raw) in Markdown, which is also what docs/performance.md shows.
 */

/** Summary of a set of samples (milliseconds). */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
}

/** Nearest-rank percentile `p` (0–100) of `sorted` (ascending). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Median, p95, p99 and mean of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(sorted.length, 1);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean,
  };
}

/** A number with 2–3 significant decimals for milliseconds. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** One row of a browser's table. */
export interface Row {
  readonly figure: string;
  readonly bridge: string;
  readonly raw: string;
  readonly direct: string;
  readonly ratio: string;
}

/** `a / b` as `1.23×`, or `–`. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
}

/** A Markdown table of `rows`. */
export function markdownTable(rows: readonly Row[]): string {
  const head = ['figure', 'bridge', 'raw channel', 'direct', 'bridge/raw'];
  const cells = rows.map((r) => [r.figure, r.bridge, r.raw, r.direct, r.ratio]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    `| ${c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}
