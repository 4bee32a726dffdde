/**
 * The generated server configurations, loaded by the real servers: nginx (`nginx -t`, then
 * HTTPS requests) and Caddy (`caddy validate`, then requests), each answering with every
 * enclave header at its exact value. Runs where the binary is installed (`.ci/run` installs
 * both from apt; Debian 12 has nginx 1.22 and Caddy 2.6) and is skipped elsewhere. Everything
 * lives in a temporary folder (`nginx -p`, its own pid and logs) on free loopback ports.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheControl, enclaveHeaders, httpsHeaders } from '../enclave-config';
import { CADDY, NGINX, OPENSSL, serverTempDir, startCaddy, startNginx } from './deploy-servers';
import { nginxUnregisterSnippet } from './generate-deploy-configs';

const ORIGINS = ['https://app.example', 'https://admin.app.example'];

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A release folder: index.html and two hashed assets. */
function release(): string {
  const dir = serverTempDir('strongroom-release-');
  dirs.push(dir);
  const root = join(dir, 'enclave');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>enclave</title>\n');
  writeFileSync(join(root, 'assets/index-3f2a.js'), 'console.log(1);\n');
  writeFileSync(join(root, 'assets/index-3f2a.css'), 'body{}\n');
  for (const path of ['', 'assets']) chmodSync(join(root, path), 0o755);
  return root;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
}

/**
 * Every header an enclave response for `file` with `status` must carry, with its exact value:
 * HSTS included (all three configurations are https ones), and `no-store` on an error.
 */
function expected(file: string, status: number): Record<string, string> {
  return {
    ...enclaveHeaders([...ORIGINS].sort()),
    ...httpsHeaders(),
    'Cache-Control': cacheControl(file, status),
  };
}

/** The enclave headers of an answer (lower-case names mapped back to the expected spelling). */
function enclaveHeadersOf(answer: Answer, file: string, status: number): Record<string, string> {
  return Object.fromEntries(
    Object.keys(expected(file, status)).map((name) => [
      name,
      answer.headers[name.toLowerCase()] ?? '',
    ]),
  );
}

async function get(url: string, ca?: string): Promise<Answer> {
  if (url.startsWith('http:')) {
    const res = await fetch(url, { redirect: 'manual' });
    await res.arrayBuffer();
    return { status: res.status, headers: Object.fromEntries(res.headers) };
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([n, v]) => [
              n,
              Array.isArray(v) ? v.join(', ') : (v ?? ''),
            ]),
          ),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The requests each server must answer, and the file whose headers apply. */
const REQUESTS: [path: string, file: string, status: number][] = [
  ['/', 'index.html', 200],
  ['/index.html', 'index.html', 200],
  // How the bridge loads the enclave: with a fresh random query (bridge/src/fresh-url.ts).
  ['/?sr=Q2FjaGUtQnVzdGVyLTEyMw', 'index.html', 200],
  ['/assets/index-3f2a.js', 'assets/index-3f2a.js', 200],
  ['/assets/index-3f2a.css', 'assets/index-3f2a.css', 200],
  // A 404 under /assets/ must never be cached: cached for a year (immutable), it would hide
  // the file once deployed, or keep a probe's answer. Likewise any other error.
  ['/assets/missing.js', 'assets/missing.js', 404],
  ['/assets/index-3f2a.js.map', 'assets/index-3f2a.js.map', 404],
  ['/missing.html', 'missing.html', 404],
];

function checkAnswers(answers: Map<string, Answer>): void {
  for (const [path, file, status] of REQUESTS) {
    const answer = answers.get(path);
    expect(answer?.status, path).toBe(status);
    if (answer)
      expect(enclaveHeadersOf(answer, file, status), path).toEqual(expected(file, status));
  }
  expect(answers.get('/assets/missing.js')?.headers['cache-control']).toBe('no-store');
  // The document is never stored, under any of the URLs a browser loads it from.
  for (const path of ['/', '/index.html', '/?sr=Q2FjaGUtQnVzdGVyLTEyMw']) {
    expect(answers.get(path)?.headers['cache-control'], path).toBe('no-store');
  }
  const js = answers.get('/assets/index-3f2a.js')?.headers['content-type'] ?? '';
  expect(js, 'module scripts need a JavaScript MIME type').toMatch(
    /^(text|application)\/javascript\b/,
  );
  expect(answers.get('/assets/index-3f2a.css')?.headers['content-type'] ?? '').toMatch(
    /^text\/css\b/,
  );
  expect(answers.get('/')?.headers['content-type'] ?? '').toMatch(/^text\/html\b/);
}

describe.skipIf(!NGINX || !OPENSSL)('the generated nginx.conf, in nginx', () => {
  it('passes nginx -t and serves every header over HTTPS', async () => {
    const server = await startNginx({ root: release(), origins: ORIGINS, tls: true });
    try {
      expect(server.checkOutput).toContain('syntax is ok');
      expect(server.checkOutput).not.toMatch(/\[(warn|emerg)\]/);
      const answers = new Map<string, Answer>();
      for (const [path] of REQUESTS) {
        answers.set(path, await get(`${server.url}${path.slice(1)}`, server.ca));
      }
      checkAnswers(answers);
    } catch (err) {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nnginx: ${server.output()}`,
      );
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe.skipIf(!CADDY)('the generated Caddyfile, in Caddy', () => {
  it('passes caddy validate and serves every header', async () => {
    const server = await startCaddy({ root: release(), origins: ORIGINS });
    try {
      expect(server.checkOutput).toContain('Valid configuration');
      const answers = new Map<string, Answer>();
      for (const [path] of REQUESTS) answers.set(path, await get(`${server.url}${path.slice(1)}`));
      checkAnswers(answers);
    } catch (err) {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\ncaddy: ${server.output()}`,
      );
    } finally {
      await server.stop();
    }
  }, 60_000);
});

/**
 * The incident-response service worker, exactly as docs/deployment.md gives it (its `js` block
 * that starts `// strongroom-unregister-sw.js`), indentation of the list item removed.
 */
const UNREGISTER_JS = ((): string => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/deployment.md'), 'utf8');
  const match = /\n( *)```js\n((?:\1.*\n)*?)\1```/.exec(
    doc.slice(doc.indexOf('// strongroom-unregister-sw.js') - 200),
  );
  const [, indent = '', body = ''] = match ?? [];
  if (!body.includes('self.registration.unregister()'))
    throw new Error('docs/deployment.md: no unregister script found');
  return body
    .split('\n')
    .map((line) => line.slice(indent.length))
    .join('\n');
})();

/** Start nginx with the generated nginx.conf plus `snippet` inside its server block. */
async function nginxWith(snippet: string) {
  const root = release();
  writeFileSync(join(root, 'strongroom-unregister-sw.js'), UNREGISTER_JS);
  return startNginx({
    root,
    origins: ORIGINS,
    edit: (config) => {
      const TOKENS = '    server_tokens off;\n';
      expect(config.split(TOKENS)).toHaveLength(2);
      return config.replace(TOKENS, `${TOKENS}${snippet}`);
    },
  });
}

/** GET over plain HTTP with `headers`; the body as text. */
async function getText(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: await res.text(),
  };
}

describe.skipIf(!NGINX)(
  "the incident response's nginx snippet (nginx-unregister-sw.conf), in nginx",
  () => {
    it('passes nginx -t and answers every Service-Worker: script request with the script and every enclave header', async () => {
      const server = await nginxWith(nginxUnregisterSnippet(ORIGINS).replace(/^#.*\n/gm, ''));
      try {
        expect(server.checkOutput).toContain('syntax is ok');
        expect(server.checkOutput).not.toMatch(/\[(warn|emerg)\]/);
        const want = {
          ...enclaveHeaders([...ORIGINS].sort()),
          ...httpsHeaders(),
          'Cache-Control': 'no-store',
        };
        // Any URL an implant could have registered, under /assets/ included.
        for (const path of ['/sw.js', '/assets/index-3f2a.js', '/deep/path/worker.js?v=1']) {
          const got = await getText(`${server.url}${path.slice(1)}`, {
            'Service-Worker': 'script',
          });
          expect(got.status, path).toBe(200);
          expect(got.body, path).toBe(UNREGISTER_JS);
          expect(got.headers['content-type'] ?? '', path).toMatch(
            /^(text|application)\/javascript\b/,
          );
          for (const [name, value] of Object.entries(want))
            expect(got.headers[name.toLowerCase()], `${path} ${name}`).toBe(value);
        }
        // Without the header: the release as usual, and the script itself is not reachable.
        expect((await getText(`${server.url}assets/index-3f2a.js`)).body).toBe('console.log(1);\n');
        expect((await getText(`${server.url}strongroom-unregister-sw.js`)).status).toBe(404);
      } catch (err) {
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}\nnginx: ${server.output()}`,
        );
      } finally {
        await server.stop();
      }
    }, 60_000);

    it('control: the former two-line snippet (only Cache-Control in its location) drops every enclave header', async () => {
      const server = await nginxWith(
        '    location = /strongroom-unregister-sw.js { internal; add_header Cache-Control "no-store" always; }\n' +
          '    if ($http_service_worker = "script") { rewrite ^ /strongroom-unregister-sw.js last; }\n',
      );
      try {
        const got = await getText(`${server.url}sw.js`, { 'Service-Worker': 'script' });
        expect(got.body).toBe(UNREGISTER_JS);
        expect(got.headers['content-security-policy']).toBeUndefined();
        expect(got.headers['x-content-type-options']).toBeUndefined();
      } finally {
        await server.stop();
      }
    }, 60_000);
  },
);
