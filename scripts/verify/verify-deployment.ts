/**
 * The audit itself: given a deployment (folder or live URL), the manifest bytes and the bundle,
 * check the signature and signer, every listed file's size and digests, index.html's digest, the
 * `integrity` and `crossorigin` of every subresource index.html loads, files that are served but
 * not listed, the response headers of a live deployment, and optionally a rebuild from source.
 * Returns one row per check; nothing here prints or exits.
 */
import { enclaveHeaders } from '../../build/enclave-config';
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
import { type DeploymentSource, releasePath } from './sources';

/** The kind of a check, the first column of the table. */
export type CheckKind = 'signature' | 'release' | 'file' | 'sri' | 'extra' | 'header' | 'rebuild';

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
  readonly expectCommit?: string;
  /** Rebuild from source at `ref` and compare. */
  readonly rebuild?: { readonly ref: string; readonly repo: string; readonly run?: CommandRunner };
}

/** The result: every row, and what was established. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly location: string;
  readonly rows: readonly CheckRow[];
  readonly release?: { readonly name: string; readonly version: string; readonly commit: string };
  readonly signer?: VerifiedSigner;
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
  if (options.rebuild) {
    try {
      const { ref, repo, run } = options.rebuild;
      const built = await rebuild(ref, repo, run);
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

  if (index.headers) {
    const headers = index.headers;
    for (const [name, value] of Object.entries(enclaveHeaders(manifest.allowedOrigins))) {
      const got = headers.get(name);
      row('header', name, value, got ?? '(absent)', got === value);
    }
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
