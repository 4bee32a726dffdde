/**
 * The generated server configurations, loaded by the real servers: nginx (`nginx -t`, then
 * HTTPS requests) and Caddy (`caddy validate`, then requests), each answering with every
 * enclave header at its exact value. Runs where the binary is installed (`.ci/run` installs
 * both from apt; Debian 12 has nginx 1.22 and Caddy 2.6) and is skipped elsewhere. Everything
 * lives in a temporary folder (`nginx -p`, its own pid and logs) on free loopback ports.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheControl, enclaveHeaders, httpsHeaders } from '../enclave-config';
import { CADDY, NGINX, OPENSSL, serverTempDir, startCaddy, startNginx } from './deploy-servers';

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
