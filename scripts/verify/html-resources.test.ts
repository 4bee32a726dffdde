import { describe, expect, it } from 'vitest';
import { extractResources } from './html-resources';
import { releasePath } from './sources';

describe('extractResources', () => {
  it('finds scripts and links with their integrity and crossorigin', () => {
    const html = `<link rel="modulepreload" href="/assets/a.js" integrity="sha384-A" crossorigin>
      <LINK REL=stylesheet HREF='/assets/b.css' INTEGRITY='sha384-B'>
      <link rel="icon" href="/favicon.ico">
      <script type="module" src="./assets/c.js" integrity="sha384-C" crossorigin="anonymous"></script>`;
    expect(extractResources(html)).toEqual([
      {
        source: 'link rel=modulepreload',
        url: '/assets/a.js',
        integrity: 'sha384-A',
        crossorigin: true,
        sriRequired: true,
        sriEnforced: true,
      },
      {
        source: 'link rel=stylesheet',
        url: '/assets/b.css',
        integrity: 'sha384-B',
        crossorigin: false,
        sriRequired: true,
        sriEnforced: true,
      },
      {
        source: 'link rel=icon',
        url: '/favicon.ico',
        integrity: undefined,
        crossorigin: false,
        sriRequired: false,
        sriEnforced: false,
      },
      {
        source: 'script',
        url: './assets/c.js',
        integrity: 'sha384-C',
        crossorigin: true,
        sriRequired: true,
        sriEnforced: true,
      },
    ]);
  });

  it('ignores tags inside comments and inside script bodies', () => {
    const html = `<!-- <script src="/x.js"></script> -->
      <script>const s = '<link rel="stylesheet" href="/y.css">';</script>
      <script src="/z.js" integrity="sha384-Z" crossorigin></script>`;
    expect(extractResources(html).map((r) => r.url)).toEqual(['/z.js']);
  });

  it('reads a ">" inside a quoted attribute as part of the value', () => {
    expect(
      extractResources('<script src="/a.js" data-x="a>b" integrity="sha384-A"></script>')[0]
        ?.integrity,
    ).toBe('sha384-A');
  });

  it('keeps the first of duplicated attributes, as browsers do', () => {
    const [res] = extractResources(
      '<script src="/a.js" integrity="sha384-A" integrity="sha384-B"></script>',
    );
    expect(res?.integrity).toBe('sha384-A');
  });

  it('lists the integrity map of an import map', () => {
    const html =
      '<script type="importmap">{"imports":{},"integrity":{"/assets/d.js":"sha384-D"}}</script>';
    expect(extractResources(html)).toEqual([
      {
        source: 'importmap',
        url: '/assets/d.js',
        integrity: 'sha384-D',
        crossorigin: true,
        sriRequired: true,
        sriEnforced: true,
      },
    ]);
  });

  // What the browser runs, not what a regex sees: each of these was measured in Chromium.
  describe('parses as the browser does (WHATWG parser differentials)', () => {
    const urls = (html: string) => extractResources(html).map((r) => `${r.source} ${r.url}`);

    it.each([
      // "<!-->" and "<!--->" are complete (empty) comments: what follows is markup.
      ['<!-->', '<!--><script src=/a.js></script><!-- -->'],
      ['<!--->', '<!---><script src=/a.js></script><!-- -->'],
      ['a comment closed by --!>', '<!-- x --!><script src=/a.js></script>'],
      ['a bogus comment closed by the first >', '<!x><script src=/a.js></script><!-- -->'],
      ['<? … > (a bogus comment)', '<?x ><script src=/a.js></script>'],
      ['a slash before the attributes', '<script/src=/a.js></script>'],
      ['an attribute right after a quoted value', '<script integrity="x"src=/a.js></script>'],
      ['an upper-case tag', '<SCRIPT SRC=/a.js></SCRIPT>'],
      ['a script after the end of the document', '</html><script src=/a.js></script>'],
      ['a script inside a table', '<table><script src=/a.js></script></table>'],
      [
        'a script in a foreignObject',
        '<svg><foreignObject><script src=/a.js></script></foreignObject></svg>',
      ],
      ['a script after a style element', '<style>/*</style><script src=/a.js></script>*/</style>'],
      ['a script after "</script >"', '<script>x</script ><script src=/a.js></script>'],
    ])('sees the script after %s', (_name, html) => {
      expect(urls(html)).toEqual(['script /a.js']);
    });

    it('sees <svg><script href> and <svg><script xlink:href>, which the browser runs unchecked', () => {
      const found = extractResources(
        '<svg><script href="/a.js" integrity="sha384-A" crossorigin></script>' +
          '<script xlink:href="/b.js"></script></svg>',
      );
      expect(found).toEqual([
        {
          source: 'svg script',
          url: '/a.js',
          integrity: 'sha384-A',
          crossorigin: true,
          sriRequired: true,
          sriEnforced: false,
        },
        {
          source: 'svg script',
          url: '/b.js',
          integrity: undefined,
          crossorigin: false,
          sriRequired: true,
          sriEnforced: false,
        },
      ]);
    });

    it('decodes character references in attributes as the browser does', () => {
      const [res] = extractResources(
        '<script src="/a&#x2e;js" integrity="sha384&#45;A" crossorigin></script>',
      );
      expect(res?.url).toBe('/a.js');
      expect(res?.integrity).toBe('sha384-A');
    });

    it.each([
      ['inside <textarea> (RCDATA)', '<textarea><script src=/x.js></script></textarea>'],
      ['inside <title> (RCDATA)', '<title><script src=/x.js></script></title>'],
      ['inside <xmp> (raw text)', '<xmp><script src=/x.js></script></xmp>'],
      [
        'inside <noscript> (raw text when scripts run)',
        '<noscript><script src=/x.js></script></noscript>',
      ],
      ['inside <iframe> (raw text)', '<iframe><script src=/x.js></script></iframe>'],
      ['inside a script body', '<script>"<script src=/x.js></script>"</script>'],
      [
        "in a script body's double-escaped text",
        '<script><!--<script></script><script src=/x.js></script>--></script>',
      ],
      [
        'an SVG <link> (foreign content, fetches nothing)',
        '<svg><link rel=stylesheet href=/x.css></svg>',
      ],
    ])('does not see markup %s', (_name, html) => {
      expect(urls(html)).toEqual([]);
    });

    it('lists what a <template> holds (inert, but nothing in a release needs it)', () => {
      expect(urls('<template><script src=/t.js></script></template>')).toEqual(['script /t.js']);
    });
  });

  describe('when the import map is not JSON', () => {
    it('throws', () => {
      expect(() => extractResources('<script type="importmap">{</script>')).toThrow('not JSON');
    });
  });
});

describe('releasePath', () => {
  const doc = new URL('https://kms.app.example/enclave/');
  it.each([
    ['/enclave/assets/a.js', 'assets/a.js'],
    ['assets/a.js', 'assets/a.js'],
    ['./assets/a%20b.js?v=1', 'assets/a b.js'],
    ['https://kms.app.example/enclave/index.html', 'index.html'],
    ['https://cdn.example/enclave/assets/a.js', undefined],
    ['/assets/a.js', undefined],
    // The URL parser resolves %2e%2e as the browser does; an encoded slash stays in one segment.
    ['/enclave/assets/%2e%2e/x', 'x'],
    ['/enclave/assets/..%2fx', undefined],
    ['javascript:alert(1)', undefined],
  ])('%s → %s', (ref, path) => {
    expect(releasePath(ref, doc)).toBe(path);
  });
});
