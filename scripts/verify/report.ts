/**
 * Present a {@link VerifyReport}: a fixed-width table (check, file, expected, got, status) with
 * long digests shortened for reading — the comparison itself always uses the full values, which
 * `--json` prints — and a one-line verdict.
 */
import type { VerifyReport } from './verify-deployment';

const WIDTH = { check: 9, subject: 44, value: 24 };

function cell(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : `${flat.slice(0, width - 1)}…`;
}

/**
 * The one-line verdict.
 *
 * @example
 * ```ts
 * verdict(report); // 'PASS: https://kms.app.example/ serves strongroom 0.1.0 (commit 0123abcd…), 14 checks'
 * ```
 */
export function verdict(report: VerifyReport): string {
  const what = report.release
    ? `${report.release.name} ${report.release.version} (commit ${report.release.commit.slice(0, 12)})`
    : 'an unreadable manifest';
  if (report.ok) {
    const by = report.signer?.kind === 'keyless' ? report.signer.identity : 'the given key';
    return `PASS: ${report.location} serves ${what}, signed by ${by}; ${report.rows.length} checks passed`;
  }
  const failed = report.rows.filter((r) => !r.ok);
  const kinds = [...new Set(failed.map((r) => r.check))].join(', ');
  return `FAIL: ${report.location} does not match ${what}: ${failed.length} of ${report.rows.length} checks failed (${kinds})`;
}

/**
 * The human-readable table followed by the verdict.
 *
 * @example
 * ```ts
 * console.log(formatTable(report));
 * ```
 */
export function formatTable(report: VerifyReport): string {
  const line = (check: string, subject: string, expected: string, got: string, status: string) =>
    [
      cell(check, WIDTH.check),
      cell(subject, WIDTH.subject),
      cell(expected, WIDTH.value),
      cell(got, WIDTH.value),
      status,
    ].join('  ');
  const lines = [line('CHECK', 'FILE', 'EXPECTED', 'GOT', 'STATUS')];
  for (const r of report.rows)
    lines.push(line(r.check, r.subject, r.expected, r.got, r.ok ? 'ok' : 'MISMATCH'));
  lines.push('', verdict(report));
  return lines.join('\n');
}
