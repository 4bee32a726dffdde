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
      },
      {
        source: 'link rel=stylesheet',
        url: '/assets/b.css',
        integrity: 'sha384-B',
        crossorigin: false,
        sriRequired: true,
      },
      {
        source: 'link rel=icon',
        url: '/favicon.ico',
        integrity: undefined,
        crossorigin: false,
        sriRequired: false,
      },
      {
        source: 'script',
        url: './assets/c.js',
        integrity: 'sha384-C',
        crossorigin: true,
        sriRequired: true,
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
      },
    ]);
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
