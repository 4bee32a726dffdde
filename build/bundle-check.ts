/**
 * The build check of the enclave bundle, run by every enclave build (`npm run build`, the test
 * and `npm start` builds). It reads back the files as written and fails the build when:
 *
 * - any script contains `eval(`, `new Function`/`Function(` or a `*` (wildcard) origin;
 * - `index.html` loads anything without a sha384 `integrity` equal to the file's hash and a
 *   `crossorigin` attribute, or references a file that is not in the build;
 * - a file is neither loaded by `index.html` with integrity nor the key worker (which the page
 *   fetches with its own integrity): nothing may run unverified.
 *
 * The code patterns are checked on minified output, so they are textual and deliberately strict:
 * a bare `'*'` string fails unless it is compared against (`=== '*'`), because the check cannot
 * tell an origin argument from other uses. `Function` reached through `.constructor` cannot be
 * seen by any text check; the CSP (no `'unsafe-eval'`) and Trusted Types stop it at run time.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractResources } from '../scripts/verify/html-resources';
import { releasePath } from '../scripts/verify/sources';
import { sha384Sri } from './release/digest';
import { describeFile, listFiles, type ManifestFile } from './release/manifest';

/** One problem found in the bundle. */
export interface BundleFinding {
  readonly file: string;
  readonly problem: string;
}

/** Thrown when the bundle fails the check; `findings` lists every problem. */
export class BundleCheckError extends Error {
  constructor(readonly findings: readonly BundleFinding[]) {
    super(
      `enclave bundle check failed:\n${findings.map((f) => `  ${f.file}: ${f.problem}`).join('\n')}`,
    );
    this.name = 'BundleCheckError';
  }
}

/** A string literal `*` in any of the three quotes. */
const STAR = '(?:\'\\*\'|"\\*"|`\\*`)';
/** Any of the three quotes. */
const QUOTE = '[\'"`]';
/** Forbidden code patterns, named as the finding reports them. */
const FORBIDDEN: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: 'eval(', pattern: /(?<![\w$])eval\s*\(/ }, // also obj.eval(
  { name: 'indirect eval', pattern: /[(,]\s*eval\s*\)/ },
  { name: 'new Function', pattern: /\bnew\s+Function\b/ },
  { name: 'Function(', pattern: /(?<![\w$.])Function\s*\(/ },
  // A '*' literal that is not one side of a comparison (Comlink's `origin === '*'` is reading).
  { name: "'*' (wildcard origin)", pattern: new RegExp(`(?<![!=]=\\s*)${STAR}(?!\\s*[!=]==?)`) },
  { name: 'wildcard in an origin', pattern: /['"`][a-z][a-z0-9+.-]*:\/\/[^'"`\s]*\*/i },
];

/**
 * Known uses that the patterns above would flag but that grant nothing, each removed before the
 * scan with the reason. Keep this list short and exact.
 */
const ALLOWED: readonly { readonly why: string; readonly pattern: RegExp }[] = [
  {
    // comlink 4.4.2 `expose(obj, ep = globalThis, allowedOrigins = ["*"])`: a default
    // parameter, never used, because worker.ts always passes `['']` (port messages only).
    why: 'Comlink expose() default allowedOrigins',
    pattern: new RegExp(
      `[\\w$]+=globalThis,[\\w$]+=\\[${STAR}\\]\\)\\{[\\w$]+\\.addEventListener\\(${QUOTE}message${QUOTE}`,
      'g',
    ),
  },
];

/**
 * The forbidden patterns found in one script.
 *
 * @example
 * ```ts
 * scanCode('a.js', 'window.parent.postMessage(m,"*")');
 * // [{ file: 'a.js', problem: "contains '*' (wildcard origin): …" }]
 * ```
 */
export function scanCode(file: string, code: string): BundleFinding[] {
  const out: BundleFinding[] = [];
  let scanned = code;
  for (const { pattern } of ALLOWED) scanned = scanned.replace(pattern, ' ');
  for (const { name, pattern } of FORBIDDEN) {
    const m = pattern.exec(scanned);
    if (!m) continue;
    const at = scanned.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30);
    out.push({ file, problem: `contains ${name}: …${at.replace(/\s+/g, ' ')}…` });
  }
  return out;
}

/** What a passing check established about the bundle. */
export interface CheckedBundle {
  /** Every file, sorted, hashed. */
  readonly files: readonly ManifestFile[];
}

const BASE = new URL('https://enclave.invalid/');

/**
 * Check a built enclave folder; throws {@link BundleCheckError} listing every problem.
 * `workerPath` is the key worker's release path (fetched by the page with its integrity).
 *
 * @example
 * ```ts
 * await checkEnclaveBundle('dist/enclave', 'assets/worker-3f2a.js');
 * ```
 */
export async function checkEnclaveBundle(dir: string, workerPath: string): Promise<CheckedBundle> {
  const findings: BundleFinding[] = [];
  const files: ManifestFile[] = [];
  const bytes = new Map<string, Uint8Array>();
  for (const path of await listFiles(dir)) {
    const data = await readFile(join(dir, path));
    bytes.set(path, data);
    files.push(describeFile(path, data));
    if (/\.(m?js|html)$/.test(path)) findings.push(...scanCode(path, data.toString('utf8')));
  }
  const index = bytes.get('index.html');
  if (!index) throw new BundleCheckError([{ file: 'index.html', problem: 'missing' }]);
  if (!bytes.has(workerPath)) findings.push({ file: workerPath, problem: 'key worker missing' });

  const pinned = new Set([workerPath, 'index.html']);
  for (const res of extractResources(new TextDecoder().decode(index))) {
    const path = releasePath(res.url, BASE);
    const data = path === undefined ? undefined : bytes.get(path);
    if (path === undefined || data === undefined) {
      findings.push({ file: 'index.html', problem: `loads ${res.url}, which is not in the build` });
      continue;
    }
    pinned.add(path);
    if (!res.sriRequired) {
      findings.push({ file: 'index.html', problem: `loads ${res.url} (${res.source}) unpinned` });
    } else if (!res.sriEnforced) {
      findings.push({
        file: 'index.html',
        problem: `loads ${res.url} (${res.source}), which the browser runs without checking integrity`,
      });
    } else if (res.integrity !== sha384Sri(data)) {
      findings.push({ file: 'index.html', problem: `integrity of ${res.url} is not its sha384` });
    }
    if (!res.crossorigin) {
      findings.push({ file: 'index.html', problem: `${res.url} has no crossorigin attribute` });
    }
  }
  for (const path of bytes.keys()) {
    if (!pinned.has(path))
      findings.push({ file: path, problem: 'not loaded with integrity by index.html' });
  }
  if (findings.length > 0) throw new BundleCheckError(findings);
  return { files };
}
