/**
 * The release digest, computed at run time by the enclave page: the `integrity` of every
 * `<script src>` and `<link href>` of this document (the browser refused to run or apply
 * anything that did not match), the integrity the key worker was fetched with, and the sha384
 * of `index.html` as fetched once more from the document's own URL. It equals
 * `build/release/release-digest.ts` over the release's files, so `info()` names what is
 * running rather than a value written into a file.
 *
 * Limits, stated plainly: the `index.html` entry hashes a second response, not the bytes the
 * browser parsed (no page can read those), so a server that answers the two requests
 * differently is not caught here (`strongroom-verify --url` fetches index.html with this fetch's
 * request headers and with a browser iframe navigation's, and fails when the answers differ —
 * which catches a server that splits by request headers, not one that splits by IP address,
 * timing or cookies: docs/verification.md); and a modified page that loads other code can report
 * any value.
 * This is a consistency check for honest-but-wrong deployments; the auditor's check is the
 * signed manifest (docs/verification.md).
 */

/** What the digest covers of one loaded file. */
export interface LoadedFile {
  /** Path relative to the enclave's folder, e.g. `assets/index-3f2a.js` (a full URL if outside). */
  readonly path: string;
  readonly sha384: string;
}

const SHA384_SRI = /^sha384-[A-Za-z0-9+/]{64}$/;

/** The release path of `url` relative to the folder of `base`, or the absolute URL outside it. */
export function releasePathOf(url: string, base: string): string {
  const resolved = new URL(url, base);
  const root = new URL('./', base);
  return resolved.origin === root.origin && resolved.pathname.startsWith(root.pathname)
    ? resolved.pathname.slice(root.pathname.length)
    : resolved.href;
}

/**
 * The pinned subresources of `doc`, or `null` when one of them is not pinned by exactly one
 * sha384 (then no digest can honestly be reported).
 */
export function documentFiles(doc: Document): LoadedFile[] | null {
  const out: LoadedFile[] = [];
  for (const el of doc.querySelectorAll<HTMLScriptElement | HTMLLinkElement>(
    'script[src], link[href]',
  )) {
    const url = el instanceof HTMLScriptElement ? el.src : el.href;
    const integrity = el.getAttribute('integrity') ?? '';
    if (!SHA384_SRI.test(integrity)) return null;
    out.push({ path: releasePathOf(url, doc.baseURI), sha384: integrity });
  }
  return out;
}

/**
 * `files` (the document's pins) with the key worker counted once. index.html preloads the
 * worker's script, so `files` may already name it; that entry must carry the pin the worker was
 * fetched with (`worker`), or `null` is returned: pins that disagree name no release.
 *
 * @example
 * ```ts
 * withWorker([{ path: 'assets/w.js', sha384: pin }], { path: 'assets/w.js', sha384: pin }); // one entry
 * ```
 */
export function withWorker(files: readonly LoadedFile[], worker: LoadedFile): LoadedFile[] | null {
  if (files.some((f) => f.path === worker.path && f.sha384 !== worker.sha384)) return null;
  return [...files.filter((f) => f.path !== worker.path), worker];
}

/**
 * sha384 SRI of this document's `index.html`, fetched again from its URL (same origin, no
 * redirects, straight from the server: `no-store` neither reads nor writes the HTTP cache), or
 * `null` when it cannot be fetched. The URL is the document's own, query included — the bridge's
 * fresh `sr` parameter (bridge/src/fresh-url.ts) — so the server sees the same path and query
 * as for the navigation; the query does not change which file answers, nor the digest's path
 * (`index.html`).
 */
export async function fetchDocumentPin(): Promise<LoadedFile | null> {
  try {
    const res = await fetch(location.href, {
      cache: 'no-store',
      credentials: 'same-origin',
      redirect: 'error',
    });
    if (!res.ok) return null;
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-384', await res.arrayBuffer()));
    let binary = '';
    for (const b of hash) binary += String.fromCharCode(b);
    return { path: 'index.html', sha384: `sha384-${btoa(binary)}` };
  } catch {
    return null;
  }
}

/**
 * sha256 (hex) of the JSON of the files sorted by path, each as `{"path","sha384"}` (the
 * canonical JSON the release tooling hashes).
 *
 * @example
 * ```ts
 * await releaseDigestOf([{ path: 'assets/a.js', sha384: 'sha384-…' }]); // '3f9c…'
 * ```
 */
export async function releaseDigestOf(files: readonly LoadedFile[]): Promise<string> {
  const sorted = files
    .map((f) => ({ path: f.path, sha384: f.sha384 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bytes = new TextEncoder().encode(JSON.stringify(sorted));
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}
