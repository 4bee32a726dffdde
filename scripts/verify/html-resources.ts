/**
 * Find what index.html makes the browser load: `<script src>` (and SVG's `<script href>`),
 * `<link href>` and the integrity map of an inline import map. index.html comes from the server
 * being audited, so it is attacker-controlled text: it is parsed exactly as a browser parses it,
 * by a WHATWG-conformant HTML parser (parse5), so that comments (`<!-->` ends one at once),
 * raw-text elements, foreign content (`<svg>`), entities and duplicated attributes mean here what
 * they mean in the browser. A hand-written tokenizer used to miss scripts that Chromium runs.
 */
import { type DefaultTreeAdapterTypes, parse } from 'parse5';

/** One subresource reference found in index.html. */
export interface HtmlResource {
  /** Where it was found: `script`, `svg script`, `link rel=…`, or `importmap` (an integrity-map entry). */
  readonly source: string;
  /** The URL as the browser reads it (entities decoded). */
  readonly url: string;
  /** The `integrity` attribute (or import-map value), if any. */
  readonly integrity: string | undefined;
  /** Whether a `crossorigin` attribute is present (import-map entries inherit it from the importer). */
  readonly crossorigin: boolean;
  /** Whether it loads code or style, so it must be pinned: `integrity` is required. */
  readonly sriRequired: boolean;
  /**
   * Whether the browser checks `integrity` on it at all. `false` for SVG's `<script href>`,
   * which runs whatever it is served: such a reference can never be pinned.
   */
  readonly sriEnforced: boolean;
}

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;
type ParentNode = DefaultTreeAdapterTypes.ParentNode;

const HTML_NS = 'http://www.w3.org/1999/xhtml';
const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';

/** `rel` values for which browsers enforce `integrity`. */
const SRI_RELS = new Set(['stylesheet', 'modulepreload', 'preload']);

function isElement(node: Node): node is Element {
  return 'tagName' in node;
}

/** An attribute without a namespace (what `getAttribute` reads); the parser kept the first of duplicates. */
function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name && !a.namespace)?.value;
}

function textOf(el: Element): string {
  return el.childNodes.map((n) => ('value' in n && n.nodeName === '#text' ? n.value : '')).join('');
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
    sriEnforced: true,
  }));
}

/** The references of one element, if it loads anything. */
function referencesOf(el: Element): HtmlResource[] {
  const common = () => ({
    integrity: attr(el, 'integrity'),
    crossorigin: attr(el, 'crossorigin') !== undefined,
  });
  if (el.namespaceURI === HTML_NS && el.tagName === 'link') {
    const href = attr(el, 'href');
    if (href === undefined) return [];
    const rels = (attr(el, 'rel') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const sriRequired = rels.some((r) => SRI_RELS.has(r));
    return [
      {
        source: `link rel=${rels.join(' ')}`,
        url: href,
        ...common(),
        sriRequired,
        sriEnforced: sriRequired,
      },
    ];
  }
  if (el.namespaceURI === HTML_NS && el.tagName === 'script') {
    const src = attr(el, 'src');
    if (src !== undefined) {
      return [{ source: 'script', url: src, ...common(), sriRequired: true, sriEnforced: true }];
    }
    if ((attr(el, 'type') ?? '').trim().toLowerCase() === 'importmap') {
      return importMapEntries(textOf(el));
    }
    return []; // Other inline scripts are pinned by the sha256 of index.html itself.
  }
  if (el.namespaceURI === SVG_NS && el.tagName === 'script') {
    // SVG 2 `href` wins over SVG 1.1 `xlink:href`; browsers fetch and run either, unchecked.
    const href =
      attr(el, 'href') ??
      el.attrs.find((a) => a.name === 'href' && a.namespace === XLINK_NS)?.value;
    if (href === undefined) return [];
    return [
      { source: 'svg script', url: href, ...common(), sriRequired: true, sriEnforced: false },
    ];
  }
  return [];
}

/**
 * List the subresources of an HTML document, in document order. Elements inside `<template>`
 * are listed too: inert until a script clones them, but nothing in a release should need them.
 *
 * @example
 * ```ts
 * extractResources('<script type="module" src="/assets/a.js" integrity="sha384-…" crossorigin></script>');
 * // [{ source: 'script', url: '/assets/a.js', integrity: 'sha384-…', crossorigin: true,
 * //    sriRequired: true, sriEnforced: true }]
 * ```
 */
export function extractResources(html: string): HtmlResource[] {
  const out: HtmlResource[] = [];
  const walk = (parent: ParentNode) => {
    for (const node of parent.childNodes) {
      if (!isElement(node)) continue;
      out.push(...referencesOf(node));
      walk(node);
      if (node.tagName === 'template' && 'content' in node) {
        walk((node as DefaultTreeAdapterTypes.Template).content);
      }
    }
  };
  walk(parse(html));
  return out;
}
