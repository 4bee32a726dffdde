/**
 * Present a {@link VerifyReport}: a fixed-width table (check, file, expected, got, status) with
 * long values shortened for reading — the comparison itself always uses the full values — and,
 * under every failing row, its full file, expected and actual values, so that the reason for a
 * failure is never cut off; then a one-line verdict. `--json` prints the report as it is.
 */
import type { VerifyReport } from './verify-deployment';

const WIDTH = { check: 9, subject: 44, value: 24 };

/**
 * Values come from the audited server (headers, file names, error texts): control characters
 * are shown escaped, so that none can move the cursor or recolour the terminal.
 */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

function cell(text: string, width: number): string {
  const flat = printable(text.replace(/[\r\n\t]+/g, ' '));
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
  const serves = /^https?:\/\//i.test(report.location) ? 'serves' : 'holds';
  if (report.ok) {
    const by = report.signer?.kind === 'keyless' ? report.signer.identity : 'the given key';
    return `PASS: ${report.location} ${serves} ${what}, signed by ${by}; ${report.rows.length} checks passed`;
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
  const indent = ' '.repeat(WIDTH.check + 2);
  const full = (label: string, text: string) =>
    `${indent}${label.padEnd(10)}${printable(text.replace(/\t/g, ' ')).replace(/\r?\n/g, `\n${indent}${' '.repeat(10)}`)}`;
  for (const r of report.rows) {
    lines.push(line(r.check, r.subject, r.expected, r.got, r.ok ? 'ok' : 'MISMATCH'));
    if (r.ok) continue;
    if (cell(r.subject, WIDTH.subject).trimEnd() !== printable(r.subject)) {
      lines.push(full('file:', r.subject));
    }
    lines.push(full('expected:', r.expected), full('got:', r.got));
  }
  for (const warning of report.warnings ?? []) lines.push('', `warning: ${printable(warning)}`);
  lines.push('', verdict(report));
  return lines.join('\n');
}
