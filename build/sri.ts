/**
 * A small Vite plugin that pins every `<script src>` and `<link href>` of the built HTML with
 * sha384 Subresource Integrity and `crossorigin`. It runs last, on the final bytes of the bundle
 * (after minification), so the attribute matches what is written to disk; the build check
 * (`bundle-check.ts`) then re-reads the files and proves it. Written here rather than taken from
 * a plugin package: it is the code that decides what runs, and it fits on one screen.
 */
import { createHash } from 'node:crypto';
import type { Plugin, Rolldown } from 'vite';

type Bundle = Rolldown.OutputBundle;

/** sha384 of `data` in SRI form (`sha384-` + base64). */
function sri(data: string | Uint8Array): string {
  return `sha384-${createHash('sha384').update(data).digest('base64')}`;
}

/** `<script …src="…"…>` or `<link …href="…"…>` with a double-quoted URL, as Vite writes them. */
const TAG = /<(script|link)\b([^>]*?)\s(src|href)="([^"]+)"([^>]*)>/g;

/**
 * Files of the same release written by an earlier build phase, which this bundle references
 * but did not emit (the enclave's key worker, preloaded by its page): release path → bytes.
 */
export type KnownFiles = ReadonlyMap<string, Uint8Array>;

/**
 * Add `integrity` (and `crossorigin` where missing) to the HTML files of `bundle`, in place.
 * A reference resolves to a file of `bundle`, else to one of `known`. Throws when a tag
 * already has an `integrity`, or references a file it cannot find (an external URL would be
 * loaded unpinned).
 */
export function addIntegrity(html: string, bundle: Bundle, known: KnownFiles = new Map()): string {
  return html.replace(
    TAG,
    (tag, name: string, before: string, attr: string, url: string, after: string) => {
      if (/\sintegrity=/.test(tag))
        throw new Error(`sri: ${url} already has an integrity attribute`);
      const path = url.replace(/^\.\//, '');
      const file = bundle[path];
      const data = file ? (file.type === 'chunk' ? file.code : file.source) : known.get(path);
      if (data === undefined) throw new Error(`sri: ${url} is not a file of this build`);
      const hash = sri(data);
      const cors = /\scrossorigin\b/.test(tag) ? '' : ' crossorigin';
      return `<${name}${before} ${attr}="${url}" integrity="${hash}"${cors}${after}>`;
    },
  );
}

/**
 * The plugin: rewrites every emitted `.html` asset in `generateBundle` (post). `known`: files
 * of an earlier build phase that the HTML may reference (see {@link KnownFiles}).
 *
 * @example
 * ```ts
 * build({ plugins: [sriPlugin()], … });
 * // <script type="module" crossorigin src="./assets/index-….js" integrity="sha384-…"></script>
 * ```
 */
export function sriPlugin(known: KnownFiles = new Map()): Plugin {
  return {
    name: 'strongroom:sri',
    enforce: 'post',
    apply: 'build',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const file of Object.values(bundle)) {
          if (file.type !== 'asset' || !file.fileName.endsWith('.html')) continue;
          const html =
            typeof file.source === 'string' ? file.source : new TextDecoder().decode(file.source);
          file.source = addIntegrity(html, bundle, known);
        }
      },
    },
  };
}
