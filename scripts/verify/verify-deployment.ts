/**
 * The audit itself: given a deployment (folder or live URL), the manifest bytes and the bundle,
 * check the signature and signer, every listed file's size and digests, index.html's digest, the
 * `integrity` and `crossorigin` of every subresource index.html loads, files that are served but
 * not listed, the response headers of a live deployment, and optionally a rebuild from source.
 * Returns one row per check; nothing here prints or exits.
 */

import { randomBytes } from 'node:crypto';
import { FRESH_PARAM, freshToken } from '../../bridge/src/fresh-url';
import { describeError } from '../../build/release/cli-util';
import { digestEquals, sha256Hex, sha384Sri } from '../../build/release/digest';
import {
  describeFile,
  type Manifest,
  type ManifestFile,
  parseManifest,
} from '../../build/release/manifest';
import {
  type SignerPolicy,
  type VerifiedSigner,
  verifyBundle,
} from '../../build/release/verify-bundle';
import { extractResources } from './html-resources';
import { type CommandRunner, rebuild } from './rebuild';
import {
  type DeploymentSource,
  type HttpAnswer,
  type RequestProfile,
  releasePath,
} from './sources';
import { compareVersions } from './version';

/** The kind of a check, the first column of the table. */
export type CheckKind =
  | 'signature'
  | 'release'
  | 'file'
  | 'sri'
  | 'extra'
  | 'header'
  | 'split'
  | 'rebuild';

/** One line of the report. */
export interface CheckRow {
  readonly check: CheckKind;
  /** The file, header or property checked. */
  readonly subject: string;
  readonly expected: string;
  readonly got: string;
  readonly ok: boolean;
}

/** Inputs of {@link verifyDeployment}. */
export interface VerifyDeploymentOptions {
  readonly source: DeploymentSource;
  /** The exact bytes of manifest.json. */
  readonly manifestBytes: Uint8Array;
  /** The parsed JSON of manifest.sigstore.json. */
  readonly bundleJson: unknown;
  readonly signer: SignerPolicy;
  /** Pin the release: a manifest of another version or commit fails. */
  readonly expectVersion?: string;
  /** Refuse rollbacks: a manifest of a lower version fails. */
  readonly minVersion?: string;
  readonly expectCommit?: string;
  /** Rebuild from source at `ref` and compare. */
  /**
   * Rebuild from source at `ref` and compare. `repo` defaults to the signed manifest's
   * `toolchain.repository` (only once its signature verified), else the current folder.
   */
  readonly rebuild?: { readonly ref: string; readonly repo?: string; readonly run?: CommandRunner };
}

/** The result: every row, and what was established. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly location: string;
  readonly rows: readonly CheckRow[];
  readonly release?: { readonly name: string; readonly version: string; readonly commit: string };
  readonly signer?: VerifiedSigner;
  /** What the reader should know but that fails nothing (a rebuild on another Node, …). */
  readonly warnings?: readonly string[];
}

/**
 * Run every check; never throws for a mismatch (it becomes a failed row), only for a programming error.
 *
 * @example
 * ```ts
 * const report = await verifyDeployment({
 *   source: urlSource('https://kms.app.example/'),
 *   manifestBytes, bundleJson,
 *   signer: { kind: 'key', publicKeyPem },
 * });
 * if (!report.ok) process.exitCode = 1;
 * ```
 */
export async function verifyDeployment(options: VerifyDeploymentOptions): Promise<VerifyReport> {
  const rows: CheckRow[] = [];
  const row = (check: CheckKind, subject: string, expected: string, got: string, ok: boolean) =>
    rows.push({ check, subject, expected, got, ok });

  // 1. Signature and signer, over the exact bytes we were given.
  let signer: VerifiedSigner | undefined;
  const wanted =
    options.signer.kind === 'key'
      ? 'the given public key'
      : `${options.signer.identity} (${options.signer.issuer})`;
  try {
    signer = await verifyBundle(options.bundleJson, options.manifestBytes, options.signer);
    row(
      'signature',
      'manifest.json',
      wanted,
      signer.kind === 'key' ? `key ${signer.keyHint.slice(0, 16)}…` : signer.identity,
      true,
    );
  } catch (err) {
    row('signature', 'manifest.json', wanted, describeError(err), false);
  }

  // 2. The manifest: parsed and validated even when the signature failed, to show what differs.
  let manifest: Manifest;
  try {
    manifest = parseManifest(options.manifestBytes);
  } catch (err) {
    row('release', 'manifest.json', 'a valid manifest', describeError(err), false);
    return { ok: false, location: options.source.location, rows, ...(signer ? { signer } : {}) };
  }
  if (options.expectVersion !== undefined) {
    row(
      'release',
      'version',
      options.expectVersion,
      manifest.version,
      manifest.version === options.expectVersion,
    );
  }
  if (options.minVersion !== undefined) {
    let cmp: number | undefined;
    try {
      cmp = compareVersions(manifest.version, options.minVersion);
    } catch {
      cmp = undefined;
    }
    row(
      'release',
      'version (minimum)',
      `${options.minVersion} or later`,
      manifest.version,
      cmp !== undefined && cmp >= 0,
    );
  }
  if (options.expectCommit !== undefined) {
    row(
      'release',
      'commit',
      options.expectCommit,
      manifest.commit,
      manifest.commit === options.expectCommit,
    );
  }

  await checkFiles(options.source, manifest, row);
  await checkIndex(options.source, manifest, row);
  if (options.source.request) await checkLive(options.source, manifest, row);
  if (options.source.list) {
    const listed = new Set(manifest.files.map((f) => f.path));
    try {
      for (const path of await options.source.list()) {
        if (!listed.has(path))
          row('extra', path, 'not present', 'present, not in the manifest', false);
      }
    } catch (err) {
      row('extra', options.source.location, 'plain files only', describeError(err), false);
    }
  }
  const warnings: string[] = [];
  if (options.rebuild) {
    const toolchain = manifest.toolchain;
    // The manifest's repository only once its signature verified: `npm run build` runs that
    // repository's code.
    const repo = options.rebuild.repo ?? (signer && toolchain ? toolchain.repository : '.');
    if (toolchain && toolchain.node !== process.version) {
      warnings.push(
        `the release was built with Node ${toolchain.node} (npm ${toolchain.npm}); this rebuild runs Node ${process.version}: if files differ, rebuild with ${toolchain.node}`,
      );
    }
    try {
      const { ref, run } = options.rebuild;
      const built = await rebuild(ref, repo, run, {
        buildConfig: manifest.buildConfig,
        version: manifest.version,
      });
      row(
        'rebuild',
        `commit of ${ref}`,
        manifest.commit,
        built.commit,
        built.commit === manifest.commit,
      );
      compareRebuild(manifest.files, built.files, row);
    } catch (err) {
      row('rebuild', options.rebuild.ref, 'a successful build', describeError(err), false);
    }
  }
  const release = { name: manifest.name, version: manifest.version, commit: manifest.commit };
  return {
    ok: rows.every((r) => r.ok),
    location: options.source.location,
    rows,
    release,
    ...(signer ? { signer } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

type RowFn = (
  check: CheckKind,
  subject: string,
  expected: string,
  got: string,
  ok: boolean,
) => void;

async function checkFiles(source: DeploymentSource, manifest: Manifest, row: RowFn): Promise<void> {
  for (const file of manifest.files) {
    if (file.path === 'index.html') continue; // checked with its headers below
    let bytes: Uint8Array | undefined;
    try {
      bytes = await source.read(file.path);
    } catch (err) {
      row('file', file.path, file.sha256, describeError(err), false);
      continue;
    }
    if (!bytes) {
      row('file', file.path, file.sha256, 'missing', false);
      continue;
    }
    const got = describeFile(file.path, bytes);
    row('file', file.path, file.sha256, got.sha256, sameFile(file, got));
  }
}

function sameFile(a: ManifestFile, b: ManifestFile): boolean {
  return a.size === b.size && digestEquals(a.sha256, b.sha256) && digestEquals(a.sha384, b.sha384);
}

async function checkIndex(source: DeploymentSource, manifest: Manifest, row: RowFn): Promise<void> {
  let index: { bytes: Uint8Array; headers?: Headers };
  try {
    index = await source.readIndex();
  } catch (err) {
    row('file', 'index.html', manifest.indexHtml.sha256, describeError(err), false);
    return;
  }
  const sha256 = sha256Hex(index.bytes);
  const ok =
    digestEquals(sha256, manifest.indexHtml.sha256) &&
    digestEquals(sha384Sri(index.bytes), manifest.indexHtml.sha384);
  row('file', 'index.html', manifest.indexHtml.sha256, sha256, ok);

  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  let resources: ReturnType<typeof extractResources>;
  try {
    resources = extractResources(new TextDecoder().decode(index.bytes));
  } catch (err) {
    row('sri', 'index.html', 'parsable subresources', describeError(err), false);
    return;
  }
  for (const res of resources) {
    const path = releasePath(res.url, source.documentUrl);
    const listed = path === undefined ? undefined : byPath.get(path);
    const subject = `${res.url} (${res.source})`;
    if (!listed) {
      const why = path === undefined ? 'outside the deployment' : 'not in the manifest';
      row('extra', subject, 'listed in the manifest', `referenced by index.html, ${why}`, false);
      continue;
    }
    if (!res.sriRequired) continue; // e.g. an icon: its bytes are checked as a file above
    if (!res.sriEnforced) {
      // e.g. SVG's <script href>: the browser runs it without checking any integrity.
      row('sri', subject, 'a reference the browser checks', 'integrity not enforced', false);
      continue;
    }
    // Exactly the manifest's sha384: with a second, stronger hash the browser would check only that one.
    const integrity = res.integrity?.trim() ?? '(none)';
    row('sri', subject, listed.sha384, integrity, integrity === listed.sha384);
    if (!res.crossorigin) row('sri', subject, 'crossorigin attribute', 'absent', false);
  }
}

/** Cache-Control values that never let a cache reuse a response without asking the server. */
const LESS_CACHED: readonly string[] = ['no-cache', 'no-store'];

/** The headers every response must carry: the manifest's, plus HSTS over https. */
function securityHeaders(manifest: Manifest, https: boolean): Record<string, string> {
  return { ...manifest.headers.all, ...(https ? manifest.headers.https : {}) };
}

/** The extension whose content types apply to a release path (`''`: the base URL, HTML). */
function extensionOf(path: string): string {
  if (path === '' || path.endsWith('/')) return 'html';
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
}

/** Whether `got` (a Content-Type) has one of `accepted` as its MIME essence. */
function contentTypeOk(got: string | null, accepted: readonly string[]): boolean {
  const essence = (got ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return accepted.includes(essence);
}

/** How `answer` differs from what the manifest wants for `path` with `status`; `[]` if not at all. */
function differences(
  manifest: Manifest,
  path: string,
  answer: HttpAnswer,
  status: number,
  https: boolean,
): string[] {
  const out: string[] = [];
  if (answer.status !== status) out.push(`HTTP ${answer.status} (expected ${status})`);
  const expected: Record<string, string> = {
    ...securityHeaders(manifest, https),
    'Cache-Control':
      status !== 200
        ? manifest.headers.cacheControl.error
        : path.startsWith('assets/')
          ? manifest.headers.cacheControl.assets
          : manifest.headers.cacheControl.other,
  };
  const revalidated = path.startsWith('assets/');
  for (const [name, value] of Object.entries(expected)) {
    const got = answer.headers.get(name);
    // A path under assets/ may be cached less than the manifest allows, never more: `no-cache`
    // (what the generated _headers sends for files and 404s alike, as those hosts cannot tell
    // them apart; a cache must ask the server before each reuse) is accepted in place of the
    // long-lived value and of a 404's `no-store`.
    const lessCached =
      name === 'Cache-Control' && revalidated && got !== null && LESS_CACHED.includes(got);
    if (got !== value && !lessCached) out.push(`${name}: ${got ?? '(absent)'}`);
  }
  if (status === 200) {
    // A file whose type the manifest does not name cannot be checked: that is a failure, not
    // a skipped check (a browser may refuse it, and the verifier cannot say it will not).
    const ext = extensionOf(path);
    const accepted = Object.hasOwn(manifest.headers.contentTypes, ext)
      ? manifest.headers.contentTypes[ext]
      : undefined;
    const got = answer.headers.get('Content-Type');
    if (!accepted) {
      out.push(
        `Content-Type: ${got ?? '(absent)'}, and the manifest lists none for ${ext ? `.${ext}` : 'a file without extension'}`,
      );
    } else if (!contentTypeOk(got, accepted)) out.push(`Content-Type: ${got ?? '(absent)'}`);
  }
  return out;
}

/** The names whose values must agree between two answers for the same document. */
function comparedNames(manifest: Manifest, https: boolean): string[] {
  return [...Object.keys(securityHeaders(manifest, https)), 'Cache-Control', 'Content-Type'];
}

const PROFILE_NAMES: Record<RequestProfile, string> = {
  node: "as Node's fetch",
  iframe: 'as an iframe navigation',
  'iframe-firefox': "as Firefox's iframe navigation",
  'iframe-same-site': 'as a same-site iframe navigation',
  'iframe-firefox-same-site': "as Firefox's same-site iframe navigation",
  'self-fetch': "as the enclave's self-fetch",
};

/**
 * A live deployment's responses: every listed file's status, Content-Type, Cache-Control and
 * security headers; `index.html` and the base URL alike; a 404 under `assets/`; and the
 * document fetched six ways (Node; Chromium's and Firefox's iframe navigation from a cross-site
 * and from a same-site app, and the enclave's self-fetch, those five with the bridge's fresh `sr`
 * query), which must agree in bytes and headers.
 */
async function checkLive(source: DeploymentSource, manifest: Manifest, row: RowFn): Promise<void> {
  const request = source.request;
  if (!request) return;
  const https = source.documentUrl.protocol === 'https:';
  // A browser's navigation into the iframe carries the embedding app's origin as Referer (the
  // default referrer policy): the first allowlisted origin stands for it.
  const referer = manifest.allowedOrigins[0] ? `${manifest.allowedOrigins[0]}/` : undefined;
  const get = async (path: string, profile: RequestProfile = 'node', query?: string) => {
    try {
      return await request.call(
        source,
        path,
        profile,
        query,
        profile === 'node' || profile === 'self-fetch' ? undefined : referer,
      );
    } catch (err) {
      return describeError(err);
    }
  };
  const wanted = (status: number) =>
    `HTTP ${status} with the manifest's Content-Type, Cache-Control and security headers`;
  const sameIndex = (bytes: Uint8Array) =>
    digestEquals(sha256Hex(bytes), manifest.indexHtml.sha256) &&
    digestEquals(sha384Sri(bytes), manifest.indexHtml.sha384);

  // The document: one row per header, as the first thing a reader looks at.
  const root = new URL('./', source.documentUrl);
  const documentPath = decodeURIComponent(source.documentUrl.pathname.slice(root.pathname.length));
  const doc = await get(documentPath);
  if (typeof doc === 'string') {
    row('header', 'index.html', 'an answer', doc, false);
    return;
  }
  const expectedDoc: Record<string, string> = {
    ...securityHeaders(manifest, https),
    'Cache-Control': manifest.headers.cacheControl.other,
  };
  for (const [name, value] of Object.entries(expectedDoc)) {
    const got = doc.headers.get(name);
    row('header', name, value, got ?? '(absent)', got === value);
  }
  const html = manifest.headers.contentTypes.html ?? ['text/html'];
  const docType = doc.headers.get('Content-Type');
  row(
    'header',
    'Content-Type',
    html.join(' or '),
    docType ?? '(absent)',
    contentTypeOk(docType, html),
  );

  // Every listed file, and index.html under both of its URLs.
  for (const file of manifest.files) {
    const answer = await get(file.path);
    if (typeof answer === 'string') {
      row('header', file.path, wanted(200), answer, false);
      continue;
    }
    const diff = differences(manifest, file.path, answer, 200, https);
    row('header', file.path, wanted(200), diff.join('; ') || 'as expected', diff.length === 0);
  }
  // The folder URL serves index.html too (what a browser loads as `/`).
  const folder = await get('');
  const folderSubject = `${root.pathname} (index.html)`;
  if (typeof folder === 'string') row('header', folderSubject, wanted(200), folder, false);
  else {
    const diff = differences(manifest, '', folder, 200, https);
    if (!sameIndex(folder.bytes)) diff.unshift('other bytes than index.html');
    row('header', folderSubject, wanted(200), diff.join('; ') || 'as expected', diff.length === 0);
  }

  // A file that is not there: never cacheable, and with every security header.
  const probe = `assets/strongroom-verify-${randomBytes(8).toString('hex')}.js`;
  const missing = await get(probe);
  if (typeof missing === 'string') row('header', `${probe} (absent)`, wanted(404), missing, false);
  else {
    const diff = differences(manifest, probe, missing, 404, https);
    row(
      'header',
      `${probe} (absent)`,
      wanted(404),
      diff.join('; ') || 'as expected',
      diff.length === 0,
    );
  }

  // The same document as a browser's iframe navigation and as the enclave's self-fetch, both
  // with a fresh `sr` query as the bridge loads it (the self-fetch asks for the document's own
  // URL, query included): a server that tells them apart from Node's plain request — by the
  // request headers or by the query — must not pass.
  const names = comparedNames(manifest, https);
  const fresh = `${FRESH_PARAM}=${freshToken()}`;
  // Both site relations always: whether an app shares the enclave's site cannot be told from an
  // origin list without the public suffix list, and a server may split on `Sec-Fetch-Site`.
  for (const profile of [
    'iframe',
    'iframe-firefox',
    'iframe-same-site',
    'iframe-firefox-same-site',
    'self-fetch',
  ] as const) {
    const subject = `index.html (${PROFILE_NAMES[profile]})`;
    const answer = await get(documentPath, profile, fresh);
    if (typeof answer === 'string') {
      row('split', subject, "the answer Node's fetch got", answer, false);
      continue;
    }
    const diff: string[] = [];
    if (answer.status !== doc.status) diff.push(`HTTP ${answer.status}`);
    if (!sameIndex(answer.bytes)) diff.push(`other bytes (sha256 ${sha256Hex(answer.bytes)})`);
    for (const name of names) {
      const a = doc.headers.get(name);
      const b = answer.headers.get(name);
      if (a !== b) diff.push(`${name}: ${b ?? '(absent)'}`);
    }
    row(
      'split',
      subject,
      "the bytes and headers Node's fetch got",
      diff.join('; ') || 'the same',
      diff.length === 0,
    );
  }
}

function compareRebuild(
  expected: readonly ManifestFile[],
  built: readonly ManifestFile[],
  row: RowFn,
): void {
  const builtByPath = new Map(built.map((f) => [f.path, f]));
  let same = 0;
  for (const file of expected) {
    const b = builtByPath.get(file.path);
    if (b && sameFile(file, b)) same++;
    else row('rebuild', file.path, file.sha256, b ? b.sha256 : 'not produced by the build', false);
    builtByPath.delete(file.path);
  }
  for (const extra of builtByPath.values())
    row('rebuild', extra.path, 'not in the manifest', extra.sha256, false);
  row(
    'rebuild',
    'dist/enclave',
    `${expected.length} identical files`,
    `${same} identical files`,
    same === expected.length && builtByPath.size === 0,
  );
}
