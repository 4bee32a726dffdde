/**
 * Run the generated server configurations in the real servers, for tests: nginx (with
 * `nginx -t` first) and Caddy (with `caddy validate` first), each in its own temporary folder
 * (`nginx -p`, its own pid and logs; Caddy's state under the folder) on a loopback port. Used by
 * the server tests (deploy-servers.test.ts), the verifier's tests against real servers and the
 * browser test of the 404 race (e2e/verification-404-race.spec.ts). The binaries are found on
 * PATH (or at Debian's paths); `.ci/run` installs both from apt.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDeployConfigs } from './generate-deploy-configs';

/** The binary's path, or `undefined` when it is not installed. */
function which(name: string, ...extra: string[]): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  return extra.find((path) => existsSync(path));
}

/** nginx's path, or `undefined` when it is not installed. */
export const NGINX: string | undefined = which('nginx', '/usr/sbin/nginx');
/** Caddy's path, or `undefined` when it is not installed. */
export const CADDY: string | undefined = which('caddy', '/usr/bin/caddy');
/** openssl's path (nginx over TLS needs a certificate), or `undefined`. */
export const OPENSSL: string | undefined = which('openssl');

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A temporary folder the servers' unprivileged workers can read. */
export function serverTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** A running server. */
export interface RunningServer {
  /** The loopback port it listens on. */
  readonly port: number;
  /** `https://127.0.0.1:port/` or `http://127.0.0.1:port/`. */
  readonly url: string;
  /** The test certificate (PEM) when served over TLS. */
  readonly ca?: string;
  /** The configuration check's output (`nginx -t`, `caddy validate`). */
  readonly checkOutput: string;
  /** What the server printed so far. */
  output(): string;
  /** Stop the server and remove its folder. */
  stop(): Promise<void>;
}

/** What to serve. */
export interface ServeGeneratedOptions {
  /** The release folder to serve (readable by the server's workers). */
  readonly root: string;
  /** The allowlist the configs are generated for. */
  readonly origins: readonly string[];
  /** Port (default: a free one). */
  readonly port?: number;
  /** Rewrite the generated config before use (a test's deliberately wrong variant). */
  readonly edit?: (config: string) => string;
}

function launch(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

/** Wait until `port` accepts a TCP connection (the server has just been started). */
async function whenListening(port: number, output: () => string, child: ChildProcess) {
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (up) return;
    if (Date.now() > until) throw new Error(`server not listening on ${port}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Serve `root` with the generated nginx.conf, inside the stock `http { }` block (mime.types
 * included), over TLS with a fresh self-signed certificate when `tls` is set (needs openssl),
 * else plain HTTP. Throws if nginx is absent or `nginx -t` fails.
 */
export async function startNginx(
  options: ServeGeneratedOptions & { readonly tls?: boolean },
): Promise<RunningServer> {
  if (!NGINX) throw new Error('nginx is not installed');
  if (options.tls && !OPENSSL) throw new Error('openssl is not installed');
  const dir = serverTempDir('strongroom-nginx-');
  const port = options.port ?? (await freePort());
  for (const sub of ['logs', 'temp']) mkdirSync(join(dir, sub));
  let ca: string | undefined;
  if (options.tls) {
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
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  }
  const generated = generateDeployConfigs(options.origins, {
    serverName: 'localhost',
    root: options.root,
  })['nginx.conf'];
  // What a deployer changes: the listen address (here a loopback port) and the certificate.
  const LISTEN = '    listen 443 ssl;\n';
  const CERT = '    # ssl_certificate / ssl_certificate_key: your certificate here.\n';
  if (generated.split(LISTEN).length !== 2 || generated.split(CERT).length !== 2) {
    throw new Error('the generated nginx.conf no longer has its listen and certificate lines');
  }
  const site = generated
    .replace(LISTEN, `    listen 127.0.0.1:${port}${options.tls ? ' ssl' : ''};\n`)
    .replace(
      CERT,
      options.tls
        ? `    ssl_certificate ${dir}/cert.pem;\n    ssl_certificate_key ${dir}/key.pem;\n`
        : '',
    );
  writeFileSync(join(dir, 'site.conf'), options.edit ? options.edit(site) : site);
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
  const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx -t failed: ${check.stderr}`);
  }
  const server = launch(NGINX, [...args, '-g', 'daemon off;'], process.env);
  const stop = async () => {
    await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await whenListening(port, server.output, server.child);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    ...(ca ? { ca } : {}),
    checkOutput: check.stderr,
    output: server.output,
    stop,
  };
}

/**
 * Serve `root` with the generated Caddyfile over plain HTTP on a loopback port (any host name:
 * the site address becomes `http://:port`, so that no certificate is requested), without an
 * admin endpoint. Throws if Caddy is absent or `caddy validate` fails.
 */
export async function startCaddy(options: ServeGeneratedOptions): Promise<RunningServer> {
  if (!CADDY) throw new Error('caddy is not installed');
  const dir = serverTempDir('strongroom-caddy-');
  const port = options.port ?? (await freePort());
  const generated = generateDeployConfigs(options.origins, {
    serverName: 'kms.app.example',
    root: options.root,
  }).Caddyfile;
  // What a deployer changes: the site address.
  const SITE = 'kms.app.example {\n';
  if (generated.split(SITE).length !== 2) {
    throw new Error('the generated Caddyfile no longer has its site address line');
  }
  const site = generated.replace(SITE, `http://:${port} {\n\tbind 127.0.0.1\n`);
  const file = join(dir, 'Caddyfile');
  writeFileSync(
    file,
    `{\n\tadmin off\n\tauto_https off\n}\n${options.edit ? options.edit(site) : site}`,
  );
  // Caddy keeps state under $HOME / XDG folders: point them into the test folder.
  const env = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
  };
  const args = ['--config', file, '--adapter', 'caddyfile'];
  const valid = spawnSync(CADDY, ['validate', ...args], { encoding: 'utf8', env });
  const checkOutput = `${valid.stdout}${valid.stderr}`;
  if (valid.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`caddy validate failed: ${checkOutput}`);
  }
  const server = launch(CADDY, ['run', ...args], env);
  const stop = async () => {
    await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await whenListening(port, server.output, server.child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `http://127.0.0.1:${port}/`, checkOutput, output: server.output, stop };
}
