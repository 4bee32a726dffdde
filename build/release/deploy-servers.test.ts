/**
 * The generated server configurations, loaded by the real servers: nginx (`nginx -t`, then
 * HTTPS requests) and Caddy (`caddy validate`, then requests), each answering with every
 * enclave header at its exact value. Runs where the binary is installed (`.ci/run` installs
 * both from apt; Debian 12 has nginx 1.22 and Caddy 2.6) and is skipped elsewhere. Everything
 * lives in a temporary folder (`nginx -p`, its own pid and logs) on free loopback ports.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheControl, enclaveHeaders, httpsHeaders } from '../enclave-config';
import { generateDeployConfigs } from './generate-deploy-configs';

const ORIGINS = ['https://app.example', 'https://admin.app.example'];

/** The binary's path, or `undefined` when it is not installed. */
function which(name: string, ...extra: string[]): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  return extra.find((path) => existsSync(path));
}

const NGINX = which('nginx', '/usr/sbin/nginx');
const CADDY = which('caddy', '/usr/bin/caddy');
const OPENSSL = which('openssl');

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder the servers' unprivileged workers can read. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

/** A port free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A release folder: index.html and two hashed assets. */
function release(dir: string): string {
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

/** Retry `get` until the server answers (it has just been started). */
async function getWhenUp(url: string, ca?: string): Promise<Answer> {
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      return await get(url, ca);
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Start `command`; fail the test with its output if it exits early. */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
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
    const dir = tempDir('strongroom-nginx-');
    const root = release(dir);
    const port = await freePort();
    for (const sub of ['logs', 'temp']) mkdirSync(join(dir, sub));
    execFileSync(
      OPENSSL as string,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const generated = generateDeployConfigs(ORIGINS, { serverName: 'localhost', root })[
      'nginx.conf'
    ];
    // What a deployer changes: the listen address (here a free loopback port) and the certificate.
    const LISTEN = '    listen 443 ssl;\n';
    const CERT = '    # ssl_certificate / ssl_certificate_key: your certificate here.\n';
    expect(generated.split(LISTEN)).toHaveLength(2);
    expect(generated.split(CERT)).toHaveLength(2);
    const site = generated
      .replace(LISTEN, `    listen 127.0.0.1:${port} ssl;\n`)
      .replace(
        CERT,
        `    ssl_certificate ${dir}/cert.pem;\n    ssl_certificate_key ${dir}/key.pem;\n`,
      );
    writeFileSync(join(dir, 'site.conf'), site);
    // The stock http { } block of Debian's nginx.conf, reduced to what a test folder can hold.
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((name) => `    ${name}_temp_path ${dir}/temp/${name};`)
      .join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
${temp}
    include ${dir}/site.conf;
}
`,
    );
    const args = ['-p', `${dir}/`, '-e', `${dir}/logs/error.log`, '-c', `${dir}/nginx.conf`];
    const test = spawnSync(NGINX as string, [...args, '-t'], { encoding: 'utf8' });
    expect(test.stderr).toContain('syntax is ok');
    expect(test.stderr).not.toMatch(/\[(warn|emerg)\]/);
    expect(test.status).toBe(0);

    const server = launch(NGINX as string, [...args, '-g', 'daemon off;']);
    const ca = `${execFileSync('cat', [join(dir, 'cert.pem')])}`;
    try {
      const answers = new Map<string, Answer>();
      await getWhenUp(`https://127.0.0.1:${port}/`, ca);
      for (const [path] of REQUESTS) {
        answers.set(path, await get(`https://127.0.0.1:${port}${path}`, ca));
      }
      checkAnswers(answers);
    } catch (err) {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nnginx: ${server.output()}`,
      );
    } finally {
      await stop(server.child);
    }
  }, 60_000);
});

describe.skipIf(!CADDY)('the generated Caddyfile, in Caddy', () => {
  it('passes caddy validate and serves every header', async () => {
    const dir = tempDir('strongroom-caddy-');
    const root = release(dir);
    const port = await freePort();
    const generated = generateDeployConfigs(ORIGINS, {
      serverName: 'kms.app.example',
      root,
    }).Caddyfile;
    // What a deployer changes: the site address (here plain HTTP on a free loopback port, so
    // that no certificate is requested) and, for a test, no admin endpoint.
    const SITE = 'kms.app.example {\n';
    expect(generated.split(SITE)).toHaveLength(2);
    const caddyfile = `{
\tadmin off
\tauto_https off
}
${generated.replace(SITE, `http://127.0.0.1:${port} {\n`)}`;
    const file = join(dir, 'Caddyfile');
    writeFileSync(file, caddyfile);
    // Caddy keeps state under $HOME / XDG folders: point them into the test folder.
    const env = {
      ...process.env,
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
    };
    const args = ['--config', file, '--adapter', 'caddyfile'];
    const valid = spawnSync(CADDY as string, ['validate', ...args], { encoding: 'utf8', env });
    expect(`${valid.stdout}${valid.stderr}`).toContain('Valid configuration');
    expect(valid.status).toBe(0);

    const server = launch(CADDY as string, ['run', ...args], env);
    try {
      const answers = new Map<string, Answer>();
      await getWhenUp(`http://127.0.0.1:${port}/`);
      for (const [path] of REQUESTS)
        answers.set(path, await get(`http://127.0.0.1:${port}${path}`));
      checkAnswers(answers);
    } catch (err) {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\ncaddy: ${server.output()}`,
      );
    } finally {
      await stop(server.child);
    }
  }, 60_000);
});
