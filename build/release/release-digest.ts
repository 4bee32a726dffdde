/**
 * The release digest: one sha256 that names the code an enclave runs. It covers every released
 * file except `index.html` (which cannot contain a digest of itself): sha256, as lowercase hex,
 * of the canonical JSON of the sorted `[{ path, sha384 }]` list. The enclave computes the same
 * value at run time from the `integrity` attributes the browser enforced and the integrity its
 * worker was fetched with (`enclave/src/release-digest.ts`), and reports it in `info()`.
 */
import { canonicalJson } from './canonical-json';
import { sha256Hex } from './digest';

/** What the digest covers of one file: its release path and its sha384 SRI. */
export interface DigestEntry {
  readonly path: string;
  readonly sha384: string;
}

/**
 * The release digest of `files`; `index.html` is left out when present.
 *
 * @example
 * ```ts
 * releaseDigest(manifest.files); // '3f9c…' (64 hex characters)
 * // By hand: jq -j -c '[.files[] | select(.path != "index.html") | {path, sha384}]' manifest.json | sha256sum
 * ```
 */
export function releaseDigest(files: readonly DigestEntry[]): string {
  const entries = files
    .filter((f) => f.path !== 'index.html')
    .map((f) => ({ path: f.path, sha384: f.sha384 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sha256Hex(new TextEncoder().encode(canonicalJson(entries)));
}
