/**
 * Find what index.html makes the browser load: `<script src>`, `<link href>` and the integrity
 * map of an inline import map. index.html comes from the server being audited, so it is
 * attacker-controlled text: this is a small tokenizer for the two tags that matter (comments and
 * script bodies are skipped so that text inside them is not mistaken for a tag), not an HTML parser.
 */

/** One subresource reference found in index.html. */
export interface HtmlResource {
  /** Where it was found: `script`, `link rel=…`, or `importmap` (an integrity-map entry). */
  readonly source: string;
  /** The URL as written. */
  readonly url: string;
  /** The `integrity` attribute (or import-map value), if any. */
  readonly integrity: string | undefined;
  /** Whether a `crossorigin` attribute is present (import-map entries inherit it from the importer). */
  readonly crossorigin: boolean;
  /** Whether the browser enforces SRI for this reference, so the attribute is required. */
  readonly sriRequired: boolean;
}

/** `rel` values for which browsers enforce `integrity`. */
const SRI_RELS = new Set(['stylesheet', 'modulepreload', 'preload']);
const TAG = /<!--[\s\S]*?(?:-->|$)|<(script|link)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
const ATTR = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(ATTR)) {
    const name = (m[1] ?? '').toLowerCase();
    // The first occurrence wins, as in the HTML parser.
    if (!out.has(name)) out.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

function importMapEntries(json: string): HtmlResource[] {
  let map: unknown;
  try {
    map = JSON.parse(json);
  } catch {
    throw new Error('index.html has an import map that is not JSON');
  }
  const integrity = (map as { integrity?: unknown } | null)?.integrity;
  if (integrity === undefined) return [];
  if (typeof integrity !== 'object' || integrity === null)
    throw new Error('import map "integrity" is not an object');
  return Object.entries(integrity).map(([url, value]) => ({
    source: 'importmap',
    url,
    integrity: typeof value === 'string' ? value : undefined,
    crossorigin: true,
    sriRequired: true,
  }));
}

/**
 * List the subresources of an HTML document.
 *
 * @example
 * ```ts
 * extractResources('<script type="module" src="/assets/a.js" integrity="sha384-…" crossorigin></script>');
 * // [{ source: 'script', url: '/assets/a.js', integrity: 'sha384-…', crossorigin: true, sriRequired: true }]
 * ```
 */
export function extractResources(html: string): HtmlResource[] {
  const out: HtmlResource[] = [];
  TAG.lastIndex = 0;
  for (let m = TAG.exec(html); m !== null; m = TAG.exec(html)) {
    const tag = m[1]?.toLowerCase();
    if (tag === undefined) continue; // a comment
    const attrs = attributes(m[2] ?? '');
    const common = { integrity: attrs.get('integrity'), crossorigin: attrs.has('crossorigin') };
    if (tag === 'link') {
      const href = attrs.get('href');
      const rels = (attrs.get('rel') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
      if (href !== undefined) {
        const sriRequired = rels.some((r) => SRI_RELS.has(r));
        out.push({ source: `link rel=${rels.join(' ')}`, url: href, ...common, sriRequired });
      }
      continue;
    }
    // A script: skip its body so that "<link" inside it is not read as a tag.
    const end = html.toLowerCase().indexOf('</script', TAG.lastIndex);
    const body = html.slice(TAG.lastIndex, end === -1 ? html.length : end);
    TAG.lastIndex = end === -1 ? html.length : end;
    const src = attrs.get('src');
    if (src !== undefined) {
      out.push({ source: 'script', url: src, ...common, sriRequired: true });
    } else if ((attrs.get('type') ?? '').toLowerCase() === 'importmap') {
      out.push(...importMapEntries(body));
    }
    // Other inline scripts are pinned by the sha256 of index.html itself.
  }
  return out;
}
