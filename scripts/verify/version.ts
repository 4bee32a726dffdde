/**
 * Semantic-version ordering for `--min-version` (semver 2.0.0 precedence, build metadata not
 * allowed): a release below the minimum is a rollback and fails the audit.
 */

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

function parse(version: string): { core: number[]; pre: string[] } {
  const m = SEMVER.exec(version);
  if (!m) throw new Error(`${JSON.stringify(version)} is not a semantic version (1.2.3)`);
  return { core: [m[1], m[2], m[3]].map(Number), pre: m[4] ? m[4].split('.') : [] };
}

/** Throws unless `version` is a semantic version. */
export function assertVersion(version: string): void {
  parse(version);
}

/**
 * Compare two semantic versions: negative when `a` comes before `b`, 0 when equal, positive
 * after. A pre-release comes before its release (`1.0.0-rc.1` < `1.0.0`).
 *
 * @example
 * ```ts
 * compareVersions('0.2.0', '0.10.0'); // < 0
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn) return -1;
    if (qn) return 1;
    return p < q ? -1 : 1;
  }
  return 0;
}
