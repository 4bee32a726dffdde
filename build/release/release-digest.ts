/**
 * The release digest: one sha256 that names a whole release. It covers every released file,
 * `index.html` included: sha256, as lowercase hex, of the canonical JSON of the sorted
 * `[{ path, sha384 }]` list. Nothing is written into a file to carry it (no circularity): the
 * enclave computes the same value at run time (`enclave/src/release-digest.ts`) from the
 * `integrity` attributes the browser enforced, the integrity its worker was fetched with, and
 * the sha384 of its own `index.html` fetched once more, and reports it in `info()`.
 */
import { canonicalJson } from './canonical-json';
import { sha256Hex } from './digest';

/** What the digest covers of one file: its release path and its sha384 SRI. */
export interface DigestEntry {
  readonly path: string;
  readonly sha384: string;
}

/**
 * The release digest of `files` (every file of the release, `index.html` included).
 *
 * @example
 * ```ts
 * releaseDigest(manifest.files); // '3f9c…' (64 hex characters)
 * // By hand: jq -j -c '[.files[] | {path, sha384}]' manifest.json | sha256sum
 * ```
 */
export function releaseDigest(files: readonly DigestEntry[]): string {
  const entries = files
    .map((f) => ({ path: f.path, sha384: f.sha384 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sha256Hex(new TextEncoder().encode(canonicalJson(entries)));
}
