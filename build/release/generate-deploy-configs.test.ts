import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheControl, enclaveHeaders, httpsHeaders } from '../enclave-config';
import {
  generateDeployConfigs,
  HEADERS_FILE_ASSETS_CACHE,
  writeDeployConfigs,
} from './generate-deploy-configs';

const ORIGINS = ['https://app.example', 'https://admin.app.example'];
const SORTED = [...ORIGINS].sort();
const configs = generateDeployConfigs(ORIGINS, { serverName: 'kms.app.example' });

/** Every header an enclave response must carry for `path`, with its exact value. */
function expected(path: string): Record<string, string> {
  return { ...enclaveHeaders(SORTED), ...httpsHeaders(), 'Cache-Control': cacheControl(path) };
}

type Headers = Record<string, string>;

/** nginx `map $status $var { 200 "v"; … }`: the value of each variable for `status`. */
function nginxMaps(text: string, status: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/map \$status (\$\w+) \{([^}]*)\}/g)) {
    const entries = new Map(
      [...(m[2] ?? '').matchAll(/(\w+) "([^"]*)";/g)].map((e) => [e[1] ?? '', e[2] ?? '']),
    );
    out.set(m[1] ?? '', entries.get(String(status)) ?? entries.get('default') ?? '');
  }
  return out;
}

/**
 * nginx: `location <prefix> { add_header Name "value" always; … }` → headers per location, a
 * `$variable` value resolved through its status map (default: a 200).
 */
function parseNginx(text: string, status = 200): Map<string, Headers> {
  const maps = nginxMaps(text, status);
  const out = new Map<string, Headers>();
  for (const m of text.matchAll(/location\s+(\S+)\s*\{([^}]*)\}/g)) {
    const headers: Headers = {};
    for (const h of (m[2] ?? '').matchAll(/add_header\s+([A-Za-z-]+)\s+"([^"]*)"\s+always;/g)) {
      const value = h[2] ?? '';
      headers[h[1] ?? ''] = value.startsWith('$') ? (maps.get(value) ?? value) : value;
    }
    out.set(m[1] ?? '', headers);
  }
  return out;
}

/** nginx prefix matching: the longest matching prefix location wins. */
function nginxFor(locations: Map<string, Headers>, path: string): Headers {
  const best = [...locations.keys()]
    .filter((p) => path.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  return locations.get(best ?? '') ?? {};
}

/** Caddy: the `header { … }` block applies to all; `header @m Name "v"` applies where matcher @m matches. */
function caddyFor(text: string, path: string): Headers {
  const headers: Headers = {};
  const block = /\theader \{\n([\s\S]*?)\n\t\}/.exec(text)?.[1] ?? '';
  for (const line of block.split('\n')) {
    const m = /^\t\t([A-Za-z-]+) "([^"]*)"$/.exec(line);
    if (m) headers[m[1] ?? ''] = m[2] ?? '';
  }
  const matchers = new Map<string, (p: string) => boolean>();
  for (const m of text.matchAll(/\t@(\w+) (not )?path (\S+)/g)) {
    const prefix = (m[3] ?? '').replace(/\*$/, '');
    const negate = m[2] !== undefined;
    matchers.set(m[1] ?? '', (p) => p.startsWith(prefix) !== negate);
  }
  for (const m of text.matchAll(/\theader @(\w+) ([A-Za-z-]+) "([^"]*)"/g)) {
    if (matchers.get(m[1] ?? '')?.(path)) headers[m[2] ?? ''] = m[3] ?? '';
  }
  return headers;
}

/** `_headers`: every matching rule applies; a repeated name is joined with ", " (Cloudflare, Netlify). */
function headersFileFor(text: string, path: string): Headers {
  const headers: Headers = {};
  let applies = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      applies = line.endsWith('*') ? path.startsWith(line.slice(0, -1)) : path === line;
      continue;
    }
    const m = /^ {2}([A-Za-z-]+): (.*)$/.exec(line);
    if (applies && m) {
      const [name, value] = [m[1] ?? '', m[2] ?? ''];
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
  }
  return headers;
}

const PATHS: [url: string, file: string][] = [
  ['/', 'index.html'],
  ['/index.html', 'index.html'],
  ['/assets/main-3f2a.js', 'assets/main-3f2a.js'],
  ['/assets/worker-9c1d.js', 'assets/worker-9c1d.js'],
];

describe('generateDeployConfigs', () => {
  describe.each(PATHS)('for %s', (url, file) => {
    it('nginx sends every header with its exact value', () => {
      expect(nginxFor(parseNginx(configs['nginx.conf']), url)).toEqual(expected(file));
    });
    it('Caddy sends every header with its exact value', () => {
      expect(caddyFor(configs.Caddyfile, url)).toEqual(expected(file));
    });
    it('_headers hosts send every header with its exact value (assets: no-cache)', () => {
      expect(headersFileFor(configs._headers, url)).toEqual({
        ...expected(file),
        ...(file.startsWith('assets/') ? { 'Cache-Control': HEADERS_FILE_ASSETS_CACHE } : {}),
      });
    });
    it('nginx, Caddy and _headers all send Origin-Agent-Cluster: ?1', () => {
      for (const headers of [
        nginxFor(parseNginx(configs['nginx.conf']), url),
        caddyFor(configs.Caddyfile, url),
        headersFileFor(configs._headers, url),
      ]) {
        expect(headers['Origin-Agent-Cluster']).toBe('?1');
      }
    });
  });

  it('sets frame-ancestors to exactly the sorted allowlist, never *', () => {
    for (const text of Object.values(configs)) {
      expect(text).toContain(`frame-ancestors ${SORTED.join(' ')};`);
      expect(text).not.toMatch(/frame-ancestors[^;]*\*/);
    }
  });

  it('nginx and Caddy send no-store on an error (a 404 under /assets/ is never cached)', () => {
    expect(nginxFor(parseNginx(configs['nginx.conf'], 404), '/assets/missing.js')).toEqual({
      ...expected('assets/missing.js'),
      'Cache-Control': 'no-store',
    });
    expect(configs.Caddyfile).toMatch(/\thandle_errors \{\n\t\theader Cache-Control "no-store"\n/);
  });

  it('long-caches assets as immutable and stores no copy of index.html (no-store)', () => {
    expect(cacheControl('assets/a.js')).toContain('immutable');
    expect(cacheControl('index.html')).toBe('no-store');
    expect(nginxFor(parseNginx(configs['nginx.conf'], 200), '/index.html')).toEqual({
      ...expected('index.html'),
      'Cache-Control': 'no-store',
    });
    expect(configs.Caddyfile).toContain('\theader @other Cache-Control "no-store"\n');
    expect(configs._headers).toContain('/index.html\n  Cache-Control: no-store\n');
    expect(configs._headers).toContain('/\n  Cache-Control: no-store\n');
  });

  describe('_headers, which cannot set a header by status', () => {
    it('caches nothing immutable: a 404 under /assets/ gets the /assets/* rule too', () => {
      // What a 404 under /assets/ gets on these hosts: the same rules as an existing file.
      const notFound = headersFileFor(configs._headers, '/assets/not-uploaded-yet.js');
      expect(notFound['Cache-Control']).toBe('no-cache');
      const cache = configs._headers.split('\n').filter((l) => l.startsWith('  Cache-Control:'));
      expect(cache).toEqual([
        '  Cache-Control: no-store',
        '  Cache-Control: no-store',
        '  Cache-Control: no-cache',
      ]);
    });
  });

  describe('when an origin is a wildcard', () => {
    it('refuses to generate anything', () => {
      expect(() => generateDeployConfigs(['*'])).toThrow();
      expect(() => generateDeployConfigs(['https://*.app.example'])).toThrow();
    });
  });

  describe('when a placeholder could inject config', () => {
    it.each([
      { serverName: 'kms.example; include /etc/passwd' },
      { root: '/srv/x;\n}' },
      { root: 'relative/path' },
    ])('refuses %o', (options) => {
      expect(() => generateDeployConfigs(ORIGINS, options)).toThrow();
    });
  });

  it('writes the three files and the incident-response nginx snippet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strongroom-deploy-'));
    try {
      const paths = await writeDeployConfigs(ORIGINS, dir);
      expect(paths.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
        'Caddyfile',
        '_headers',
        'nginx-unregister-sw.conf',
        'nginx.conf',
      ]);
      expect(await readFile(join(dir, '_headers'), 'utf8')).toBe(configs._headers);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
