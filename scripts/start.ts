/**
 * `npm start`: build the enclave (and, unless `--no-demo`, the demo app), serve them on two
 * loopback origins with the enclave's real headers, and print the URLs. `npm start -- --help`
 * lists the options.
 *
 * The enclave's allowlist is the demo app's origin, every `--allow <origin>`, and the build
 * configuration's origins (`STRONGROOM_ALLOWED_ORIGINS`, comma-separated, or else
 * `strongroom.config.json`), so an app on your own dev server can embed a local enclave:
 * `npm start -- --allow http://localhost:5173 --no-demo`.
 *
 * It also writes the build's release manifest, unsigned, to `dist/start/release/manifest.json`
 * (`scripts/local-manifest.ts`), which the demo server publishes at `/strongroom-manifest.json`
 * for the demo's verification panel.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { cacheControl, enclaveHeaders, normalizeConfig } from '../build/enclave-config';
import { isMain } from '../build/is-main';
import { buildEnclave, ROOT } from '../build/vite-enclave';
import { buildPages } from '../build/vite-host';
import { MANIFEST_ROUTE, startDemoServer } from '../host-demo/server/app';
import { Store } from '../host-demo/server/db';
import { writeLocalManifest } from './local-manifest';
import { type Served, type SiteSpec, serveSites } from './serve';
import { appOrigin, enclaveUrl, enclaveUrlFor, TOPOLOGY_HOSTS, type Topology } from './topology';

/** Options of {@link start}. */
export interface StartOptions {
  readonly hostPort: number;
  readonly enclavePort: number;
  readonly topology: Topology;
  /** More origins allowed to embed the enclave (your own dev server). Default none. */
  readonly allowedOrigins?: readonly string[];
  /** Build and serve the demo app (and allow its origin). Default `true`. */
  readonly demo?: boolean;
  /**
   * Where the demo server keeps its SQLite database. Default `STRONGROOM_DEMO_DATA_DIR`, or
   * else `dist/start/demo-data`.
   */
  readonly demoDataDir?: string;
  /** Where progress and the URLs are printed. Default `console.log`. */
  readonly log?: (line: string) => void;
}

/** Where `npm start` writes its build's unsigned release manifest, relative to the repository. */
export const START_MANIFEST = 'dist/start/release/manifest.json';

/** A mistake in how `npm start` was called: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** A problem `npm start` reports as one line without a stack (a port in use), exit status 1. */
export class StartError extends Error {}

export const USAGE = `usage: npm start -- [options]

Builds the enclave (and a demo app), serves them on loopback with the enclave's real
headers, and prints the URLs. Ctrl-C stops.

options:
  --allow <origin>      also allow <origin> to embed the enclave (repeatable), e.g. your own
                        dev server: --allow http://localhost:5173
  --no-demo             serve only the enclave, not the demo app (needs an allowed origin)
  --host-port <port>    the demo app's port (default 8080; STRONGROOM_HOST_PORT)
  --enclave-port <port> the enclave's port (default 8081; STRONGROOM_ENCLAVE_PORT)
  --same-site           app on app.strongroom.localhost, enclave on kms.strongroom.localhost
                        (STRONGROOM_TOPOLOGY=same-site); default cross-site (127.0.0.1, localhost)
  --help                this text

The allowlist is the demo app's origin, every --allow, and the build configuration's
origins: STRONGROOM_ALLOWED_ORIGINS (comma-separated) or else strongroom.config.json.

examples:
  npm start
  npm start -- --allow http://localhost:5173 --no-demo
  STRONGROOM_ALLOWED_ORIGINS=http://localhost:5173,http://localhost:4173 npm start
  npm start -- --same-site --host-port 9080 --enclave-port 9081`;

/**
 * The configured allowlist, as `npm run build` reads it: `STRONGROOM_ALLOWED_ORIGINS`
 * (comma-separated) or else `allowedOrigins` of `strongroom.config.json`; none if neither exists.
 */
export function configuredOrigins(
  env: NodeJS.ProcessEnv = process.env,
  configPath = `${ROOT}strongroom.config.json`,
): string[] {
  const fromEnv = env.STRONGROOM_ALLOWED_ORIGINS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return fromEnv
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
  }
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch {
    return [];
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new UsageError(`${configPath} is not JSON`);
  }
  const origins = (config as { allowedOrigins?: unknown } | null)?.allowedOrigins;
  if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) {
    throw new UsageError(`${configPath}: "allowedOrigins" must be an array of origins`);
  }
  return origins;
}

/** The enclave's allowlist for these options: validated, deduplicated and sorted. */
export function startAllowlist(options: StartOptions): string[] {
  const origins = [
    ...(options.demo === false ? [] : [appOrigin(options.topology, options.hostPort)]),
    ...(options.allowedOrigins ?? []),
  ];
  if (origins.length === 0) {
    throw new UsageError('--no-demo needs at least one allowed origin (--allow <origin>)');
  }
  let allowed: readonly string[];
  try {
    allowed = normalizeConfig({ allowedOrigins: origins }).allowedOrigins;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const enclaveOrigin = new URL(enclaveUrl(options.topology, options.enclavePort)).origin;
  if (allowed.includes(enclaveOrigin)) {
    throw new UsageError(
      `${enclaveOrigin} is the enclave's own origin: an app must be on another origin`,
    );
  }
  return [...allowed];
}

/** Resolve once `port` can be listened on at 127.0.0.1; reject with a {@link StartError} if not. */
async function assertPortFree(port: number, flag: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'is in use'
          : err.code === 'EACCES'
            ? 'needs privileges'
            : `cannot be used (${err.code ?? err.message})`;
      reject(
        new StartError(
          `port ${port} (${flag}) ${why}: stop what listens there, or choose another with ${flag} <port>`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Build and serve; resolves once the servers listen. Ports are checked before anything is built. */
export async function start(options: StartOptions): Promise<Served> {
  const { hostPort, enclavePort, topology, log = console.log } = options;
  const demo = options.demo !== false;
  const allowedOrigins = startAllowlist(options);
  if (demo && hostPort === enclavePort && hostPort !== 0) {
    throw new UsageError(`--host-port and --enclave-port are both ${hostPort}`);
  }
  if (enclavePort !== 0) await assertPortFree(enclavePort, '--enclave-port');
  if (demo && hostPort !== 0) await assertPortFree(hostPort, '--host-port');

  log(demo ? 'building the enclave and the demo app…' : 'building the enclave…');
  const built = await buildEnclave({ allowedOrigins, outDir: `${ROOT}dist/start/enclave` });
  // The manifest of this build, as a release's is written, but unsigned.
  const manifestFile = `${ROOT}${START_MANIFEST}`;
  await writeLocalManifest(
    `${ROOT}dist/start/enclave`,
    { allowedOrigins },
    manifestFile,
    built.releaseDigest,
  );
  if (demo) await buildPages('host-demo', `${ROOT}dist/start/host`);

  const headers = enclaveHeaders(allowedOrigins);
  const enclaveSite: SiteSpec = {
    port: enclavePort,
    root: `${ROOT}dist/start/enclave`,
    headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
  };
  const sites: SiteSpec[] = [enclaveSite];
  let served: Served;
  try {
    served = await serveSites(sites);
    if (demo) {
      // The demo app's own server (host-demo/server): the built app, its config and its API.
      const dataDir =
        options.demoDataDir ??
        process.env.STRONGROOM_DEMO_DATA_DIR ??
        `${ROOT}dist/start/demo-data`;
      const store = new Store(dataDir);
      const realEnclave = served.ports[0] ?? enclavePort;
      let app: Awaited<ReturnType<typeof startDemoServer>>;
      try {
        app = await startDemoServer({
          port: hostPort,
          store,
          staticDir: `${ROOT}dist/start/host`,
          manifest: { file: manifestFile },
          config: (req) => ({
            enclaveUrl: enclaveUrlFor(req, realEnclave),
            manifestUrl: MANIFEST_ROUTE,
          }),
        });
      } catch (err) {
        store.close();
        await served.close();
        throw Object.assign(err as Error, { port: hostPort });
      }
      log(`demo server data: ${dataDir}/demo.sqlite`);
      const enclaveServed = served;
      served = {
        ports: [...enclaveServed.ports, app.port],
        close: async () => {
          await app.close();
          store.close();
          await enclaveServed.close();
        },
      };
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const port = (err as { port?: number }).port;
    throw new StartError(
      code === 'EADDRINUSE'
        ? `port ${port ?? '?'} was taken while building: stop what listens there, or choose another port`
        : `cannot serve: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const [realEnclavePort = enclavePort, realHostPort = hostPort] = served.ports;
  const url = `http://${TOPOLOGY_HOSTS[topology].enclave}:${realEnclavePort}/`;

  log(`\nStrongroom (${topology})`);
  if (demo) log(`  app:     ${appOrigin(topology, realHostPort)}/`);
  log(`  enclave: ${url}   (allowlist: ${allowedOrigins.join(', ')})`);
  log(
    demo
      ? `  release manifest (unsigned): ${START_MANIFEST}, published at ${appOrigin(topology, realHostPort)}${MANIFEST_ROUTE}`
      : `  release manifest (unsigned): ${START_MANIFEST}`,
  );
  log(
    demo
      ? '\nOpen the app URL in a browser. Ctrl-C stops.'
      : `\nIn your app: connect({ url: '${url}' }). Ctrl-C stops.`,
  );
  return {
    // The app's port first, as before, when there is a demo app.
    ports: demo ? [realHostPort, realEnclavePort] : [realEnclavePort],
    close: () => served.close(),
  };
}

function port(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`--${name}: not a port: ${value}`);
  }
  return n;
}

/** Turn `npm start` arguments (and the environment) into {@link StartOptions}, or `'help'`. */
export function parseStartArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  configPath?: string,
): StartOptions | 'help' {
  let values: {
    'host-port': string;
    'enclave-port': string;
    'same-site': boolean;
    allow?: string[];
    demo: boolean;
    help?: boolean;
  };
  try {
    values = parseArgs({
      args: [...argv],
      allowNegative: true,
      options: {
        'host-port': { type: 'string', default: env.STRONGROOM_HOST_PORT ?? '8080' },
        'enclave-port': { type: 'string', default: env.STRONGROOM_ENCLAVE_PORT ?? '8081' },
        'same-site': { type: 'boolean', default: env.STRONGROOM_TOPOLOGY === 'same-site' },
        allow: { type: 'string', multiple: true },
        demo: { type: 'boolean', default: true },
        help: { type: 'boolean', short: 'h' },
      },
    }).values as typeof values;
  } catch (err) {
    // parseArgs' messages are long and mention "To specify a positional argument…": keep line one.
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new UsageError(message.replace(/\. To specify.*$/, ''));
  }
  if (values.help) return 'help';
  return {
    hostPort: port(values['host-port'], 'host-port'),
    enclavePort: port(values['enclave-port'], 'enclave-port'),
    topology: values['same-site'] ? 'same-site' : 'cross-site',
    allowedOrigins: [...(values.allow ?? []), ...configuredOrigins(env, configPath)],
    demo: values.demo,
  };
}

/**
 * `npm start` as a command: resolves with the exit status (2 usage error, 1 another failure)
 * once the servers listen, and leaves them running. Errors are one line, never a stack.
 */
export async function main(
  argv: readonly string[],
  io: { out?: (line: string) => void; err?: (line: string) => void } = {},
): Promise<{ status: number; served?: Served }> {
  const out = io.out ?? ((line: string) => console.log(line));
  const err = io.err ?? ((line: string) => console.error(line));
  try {
    const options = parseStartArgs(argv);
    if (options === 'help') {
      out(USAGE);
      return { status: 0 };
    }
    return { status: 0, served: await start({ ...options, log: out }) };
  } catch (e) {
    if (e instanceof UsageError) {
      err(`npm start: ${e.message} (npm start -- --help lists the options)`);
      return { status: 2 };
    }
    err(
      `npm start: ${e instanceof StartError ? e.message : e instanceof Error ? e.message : String(e)}`,
    );
    return { status: 1 };
  }
}

if (isMain(import.meta.url)) {
  const { status } = await main(process.argv.slice(2));
  if (status !== 0) process.exit(status);
}
