/**
 * The verification panel's check, as far as a page can take it: fetch the release manifest the
 * deployment publishes, recompute its `releaseDigest` from its own file list (sha256 of the
 * canonical JSON of the sorted `[{ path, sha384 }]`, as `build/release/release-digest.ts` does),
 * and compare it with the digest the enclave reports in `info().releaseDigest`.
 *
 * What the page cannot do it does not pretend to: it does not check the manifest's Sigstore
 * bundle (signature, certificate, transparency log), and it cannot read the enclave's files
 * (another origin). {@link verifyCommands} gives the command that does the real audit.
 */

/** Outcome of {@link checkRelease}. */
export type VerifyState = 'match' | 'mismatch' | 'unavailable';

/** Why {@link checkRelease} came to its state. */
export type VerifyReason =
  /** The reported digest equals the manifest's, which is the digest of its own file list. */
  | 'digest-equal'
  /** The enclave reports another digest than the manifest's: another build, or altered files. */
  | 'digest-differs'
  /** The manifest's `releaseDigest` is not the digest of its own `files`: an altered manifest. */
  | 'manifest-inconsistent'
  /** The manifest could not be fetched (offline, or the server refused: see `detail`). */
  | 'manifest-unreachable'
  /** What was fetched is not a release manifest. */
  | 'manifest-invalid'
  /** The enclave reported no digest (`null`): there is nothing to compare. */
  | 'no-reported-digest';

/** The panel's verdict, with what it compared. */
export interface VerifyResult {
  readonly state: VerifyState;
  readonly reason: VerifyReason;
  /** The digest the enclave reports (`info().releaseDigest`). */
  readonly reported: string | null;
  /** The manifest's `releaseDigest`, when a manifest was read. */
  readonly manifestDigest?: string;
  /** The digest recomputed here from the manifest's `files`, when a manifest was read. */
  readonly recomputed?: string;
  /** The manifest's `version` and `commit`, when a manifest was read. */
  readonly version?: string;
  readonly commit?: string;
  /** A short explanation of an `unavailable` state (an HTTP status, a parse error). */
  readonly detail?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The fields of a manifest the panel reads; everything else is left to `strongroom-verify`. */
interface ManifestView {
  readonly releaseDigest: string;
  readonly version: string;
  readonly commit: string;
  readonly files: readonly { readonly path: string; readonly sha384: string }[];
}

function manifestView(value: unknown): ManifestView | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const m = value as Record<string, unknown>;
  if (typeof m.releaseDigest !== 'string' || !HEX64.test(m.releaseDigest)) return null;
  if (typeof m.version !== 'string' || typeof m.commit !== 'string') return null;
  if (!Array.isArray(m.files) || m.files.length === 0) return null;
  const files: { path: string; sha384: string }[] = [];
  for (const f of m.files as unknown[]) {
    if (typeof f !== 'object' || f === null) return null;
    const { path, sha384 } = f as Record<string, unknown>;
    if (typeof path !== 'string' || typeof sha384 !== 'string') return null;
    files.push({ path, sha384 });
  }
  return { releaseDigest: m.releaseDigest, version: m.version, commit: m.commit, files };
}

/**
 * The release digest of a file list, with WebCrypto: sha256 (lowercase hex) of the canonical
 * JSON of `[{ path, sha384 }]` sorted by path (UTF-16 code units). For objects with these two
 * string members `JSON.stringify` is canonical JSON (keys in sorted order, no whitespace).
 *
 * @example
 * ```ts
 * await releaseDigestOf(manifest.files); // '3f9c…' (64 hex characters)
 * ```
 */
export async function releaseDigestOf(
  files: readonly { readonly path: string; readonly sha384: string }[],
): Promise<string> {
  const entries = files
    .map((f) => ({ path: f.path, sha384: f.sha384 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(JSON.stringify(entries)),
  );
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Compare the digest the enclave reports with a manifest's bytes (as fetched; untrusted).
 *
 * @example
 * ```ts
 * const result = await checkRelease(info.releaseDigest, await response.arrayBuffer());
 * if (result.state === 'mismatch') warn(result.reason);
 * ```
 */
export async function checkRelease(
  reported: string | null,
  manifestBytes: ArrayBuffer | Uint8Array,
): Promise<VerifyResult> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
  } catch {
    return { state: 'unavailable', reason: 'manifest-invalid', reported, detail: 'not JSON' };
  }
  const manifest = manifestView(value);
  if (!manifest) {
    return {
      state: 'unavailable',
      reason: 'manifest-invalid',
      reported,
      detail: 'no releaseDigest, version, commit or files',
    };
  }
  const recomputed = await releaseDigestOf(manifest.files);
  const read = {
    reported,
    manifestDigest: manifest.releaseDigest,
    recomputed,
    version: manifest.version,
    commit: manifest.commit,
  };
  if (recomputed !== manifest.releaseDigest) {
    return { state: 'mismatch', reason: 'manifest-inconsistent', ...read };
  }
  if (reported === null) return { state: 'unavailable', reason: 'no-reported-digest', ...read };
  if (reported !== manifest.releaseDigest) {
    return { state: 'mismatch', reason: 'digest-differs', ...read };
  }
  return { state: 'match', reason: 'digest-equal', ...read };
}

/**
 * Fetch the published manifest (never from a cache, no credentials) and {@link checkRelease} it.
 * A network failure or a status other than 200 is `unavailable` / `manifest-unreachable`.
 */
export async function fetchAndCheckRelease(
  reported: string | null,
  manifestUrl: string,
): Promise<VerifyResult> {
  let response: Response;
  try {
    response = await fetch(manifestUrl, { cache: 'no-store', credentials: 'omit' });
  } catch (err) {
    return {
      state: 'unavailable',
      reason: 'manifest-unreachable',
      reported,
      detail: err instanceof Error ? err.message : String(err),
    };
  }
  if (response.status !== 200) {
    return {
      state: 'unavailable',
      reason: 'manifest-unreachable',
      reported,
      detail: `HTTP ${response.status}`,
    };
  }
  return checkRelease(reported, await response.arrayBuffer());
}

/** Where the deployment is, for {@link verifyCommands}. */
export interface Deployment {
  /** The enclave's URL, as the app connects to it. */
  readonly enclaveUrl: string;
  /** The published manifest's absolute URL. */
  readonly manifestUrl: string;
  /** The published Sigstore bundle's absolute URL; none: the manifest is unsigned. */
  readonly bundleUrl?: string;
  /** The manifest's version, when it was read: pinned with `--expect-version`. */
  readonly version?: string;
}

/**
 * The shell commands that audit this deployment with `strongroom-verify`. A signed manifest:
 * one command (the signer's identity is the release workflow's, left for the reader to fill
 * in: the page cannot know whom to trust). An unsigned one (`npm start`'s): sign a downloaded
 * copy with a throwaway key first, in a checkout of the repository, so that the tool can run its
 * file, header and split checks against the live enclave — which proves the deployment matches
 * that manifest, and nothing about who built it.
 *
 * @example
 * ```ts
 * verifyCommands({ enclaveUrl: 'http://localhost:8081/', manifestUrl: 'http://127.0.0.1:8080/strongroom-manifest.json' });
 * ```
 */
export function verifyCommands(deployment: Deployment): string {
  const { enclaveUrl, manifestUrl, bundleUrl, version } = deployment;
  if (bundleUrl !== undefined) {
    return [
      `npx @strongroom/verify --url ${enclaveUrl} \\`,
      `  --manifest ${manifestUrl} \\`,
      `  --bundle ${bundleUrl} \\`,
      '  --identity <the workflow that signs the release> \\',
      `  --issuer https://token.actions.githubusercontent.com${version ? ` \\\n  --expect-version ${version}` : ''}`,
    ].join('\n');
  }
  return [
    '# At the root of a Strongroom checkout. The manifest is unsigned: sign a copy with a',
    '# throwaway key so that strongroom-verify can check the live enclave against it.',
    'D=dist/local-verify && mkdir -p $D',
    `curl -sSfo $D/manifest.json ${manifestUrl}`,
    'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $D/throwaway.pem',
    'npm run release:sign -- --key $D/throwaway.pem --manifest $D/manifest.json --out $D/manifest.sigstore.json',
    'openssl pkey -in $D/throwaway.pem -pubout -out $D/throwaway.pub.pem',
    `npx strongroom-verify --url ${enclaveUrl} --manifest $D/manifest.json \\`,
    '  --bundle $D/manifest.sigstore.json --key $D/throwaway.pub.pem',
  ].join('\n');
}
