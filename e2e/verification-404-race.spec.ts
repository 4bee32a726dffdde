/**
 * The 404 race, in a real browser against the real servers with the GENERATED configs: a new
 * release's index.html goes live before its script chunk under /assets/ is uploaded, so the
 * enclave cannot start; then the chunk is uploaded, and a new `connect()` in the same browser
 * context — and a reload of the page — must work: the 404 was not kept in the HTTP cache.
 *
 * Served by nginx and by Caddy when installed (and by nginx sending what the generated
 * `_headers` sends under /assets/ — `no-cache` for files and 404s alike) (`.ci/run` installs both from apt), each loading
 * the config from build/release/generate-deploy-configs.ts; without them, by the project's own
 * server with the generated headers (scripts/serve.ts, which sends `no-store` on a 404 as the
 * configs do; `STRONGROOM_E2E_OWN_SERVER=1` runs it where both are installed). The control, when nginx is present: the same nginx config with the 404 given the
 * assets' year-long `immutable` Cache-Control (the former behaviour) keeps the enclave broken
 * after the upload in Chromium in some runs — so the test can see a cached 404 — but not in
 * every run, so it is kept as a documented, skipped test (its reason says when it failed).
 */
import { copyFile, cp, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { cacheControl, enclaveHeaders, normalizeConfig } from '../build/enclave-config';
import {
  CADDY,
  NGINX,
  type RunningServer,
  serverTempDir,
  startCaddy,
  startNginx,
} from '../build/release/deploy-servers';
import { HEADERS_FILE_ASSETS_CACHE } from '../build/release/generate-deploy-configs';
import { ROOT } from '../build/vite-enclave';
import { serveSites } from '../scripts/serve';
import { enclaveUrl } from '../scripts/topology';
import { TEST_ALLOWED_ORIGINS } from './support/ports';
import { expect, openHarness, test } from './support/test';

test.describe.configure({ mode: 'default' });

const ORIGINS = normalizeConfig({ allowedOrigins: TEST_ALLOWED_ORIGINS }).allowedOrigins;

/** A copy of the built enclave whose module script is held back, and how to upload it. */
interface Staged {
  readonly root: string;
  upload(): Promise<void>;
  remove(): Promise<void>;
}

async function stage(): Promise<Staged> {
  const dir = serverTempDir('strongroom-404-race-');
  const built = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';
  const enclave = process.env.STRONGROOM_E2E_ENCLAVE_DIR ?? `${ROOT}${built}/enclave`;
  const root = join(dir, 'enclave');
  await cp(enclave, root, { recursive: true });
  const index = await readFile(join(root, 'index.html'), 'utf8');
  const chunk = /<script type="module"[^>]* src="\.\/(assets\/[^"]+\.js)"/.exec(index)?.[1];
  if (!chunk) throw new Error('no module script in the built index.html');
  const held = await mkdtemp(join(tmpdir(), 'strongroom-404-held-'));
  await rename(join(root, chunk), join(held, 'chunk.js'));
  return {
    root,
    upload: () => copyFile(join(held, 'chunk.js'), join(root, chunk)),
    remove: async () => {
      await rm(dir, { recursive: true, force: true });
      await rm(held, { recursive: true, force: true });
    },
  };
}

type ConnectResult = { ok: true } | { $error: { code: string | null; message: string } };

async function connectTo(page: Page, url: string): Promise<ConnectResult> {
  return (await page.evaluate((o) => window.sr.connect(o), {
    url,
    timeoutMs: 4000,
  })) as ConnectResult;
}

/**
 * The race: enclave fails while the chunk is missing; after the upload, a new connect() in the
 * same page, and after a reload, both work (or, for the control, both still fail).
 */
async function race(
  page: Page,
  app: string,
  staged: Staged,
  server: { port: number },
  topology: 'cross-site' | 'same-site',
): Promise<{ before: ConnectResult; afterUpload: ConnectResult; afterReload: ConnectResult }> {
  const url = enclaveUrl(topology, server.port);
  await openHarness(page, app);
  const before = await connectTo(page, url);
  await staged.upload();
  const afterUpload = await connectTo(page, url);
  await openHarness(page, app);
  const afterReload = await connectTo(page, url);
  return { before, afterUpload, afterReload };
}

/** Start a server kind over `root`; the nginx variant may be edited (the control). */
type Start = (root: string, edit?: (c: string) => string) => Promise<RunningServer>;

const KINDS: { name: string; present: boolean; start: Start }[] = [
  {
    name: 'nginx',
    present: NGINX !== undefined,
    start: (root, edit) => startNginx({ root, origins: ORIGINS, ...(edit ? { edit } : {}) }),
  },
  {
    // What a _headers host sends (it cannot set a header by status): the /assets/* rule's
    // `no-cache` on files and 404s alike — played by nginx with both map values replaced.
    name: 'nginx with the Cache-Control of the generated _headers',
    present: NGINX !== undefined,
    start: (root) =>
      startNginx({
        root,
        origins: ORIGINS,
        edit: (config) => {
          const edited = config.replace(
            /(map \$status \$strongroom_cache_assets \{)[^}]*\}/,
            `$1\n    default "${HEADERS_FILE_ASSETS_CACHE}";\n}`,
          );
          if (edited === config) throw new Error('the assets map of the generated config changed');
          return edited;
        },
      }),
  },
  {
    name: 'Caddy',
    present: CADDY !== undefined,
    start: (root) => startCaddy({ root, origins: ORIGINS }),
  },
];

for (const kind of KINDS) {
  test.describe(`the 404 race under ${kind.name} with the generated config`, () => {
    test.skip(!kind.present, `${kind.name} is not installed (.ci/run installs it from apt)`);

    test('the enclave fails while its chunk is missing and works once it is uploaded', async ({
      page,
      urls,
      topology,
    }) => {
      test.setTimeout(60_000);
      const staged = await stage();
      const server = await kind.start(staged.root);
      try {
        const got = await race(page, urls.app, staged, server, topology);
        expect(got.before, 'index.html is live, its chunk is not').not.toEqual({ ok: true });
        expect(got.afterUpload, 'the 404 was not cached').toEqual({ ok: true });
        expect(got.afterReload).toEqual({ ok: true });
      } finally {
        await server.stop();
        await staged.remove();
      }
    });
  });
}

test.describe('the 404 race, control: a 404 cached immutable for a year (the former config)', () => {
  test.skip(NGINX === undefined, 'nginx is not installed (.ci/run installs it from apt)');
  test.skip(
    () => true,
    'not deterministic, so not run: Chromium reused the year-long cached 404 in the runs that wrote this test, but not in a clean-clone CI run nor in a re-run on an idle machine (2026-12-01), and Firefox ESR never reuses it; the race itself, with the configs as generated, is tested above in both browsers',
  );

  test('the enclave stays broken in that browser after the upload', async ({
    page,
    urls,
    topology,
  }) => {
    test.setTimeout(60_000);
    const staged = await stage();
    const immutable = cacheControl('assets/x');
    const server = await startNginx({
      root: staged.root,
      origins: ORIGINS,
      edit: (config) => {
        const edited = config.replace(
          /(map \$status \$strongroom_cache_assets \{[^}]*default )"[^"]*";/,
          `$1"${immutable}";`,
        );
        if (edited === config) throw new Error('the assets map of the generated config changed');
        return edited;
      },
    });
    try {
      const got = await race(page, urls.app, staged, server, topology);
      expect(got.before).not.toEqual({ ok: true });
      expect(got.afterUpload, 'the cached 404 hides the uploaded chunk').not.toEqual({ ok: true });
      expect(got.afterReload).not.toEqual({ ok: true });
    } finally {
      await server.stop();
      await staged.remove();
    }
  });
});

test.describe("the 404 race under the project's own server with the generated headers", () => {
  test.skip(
    NGINX !== undefined && CADDY !== undefined && !process.env.STRONGROOM_E2E_OWN_SERVER,
    'nginx and Caddy are installed and tested above; this is the fallback for machines without them',
  );

  test('the enclave fails while its chunk is missing and works once it is uploaded', async ({
    page,
    urls,
    topology,
  }) => {
    test.setTimeout(60_000);
    const staged = await stage();
    const headers = enclaveHeaders(ORIGINS);
    const served = await serveSites([
      {
        port: 0,
        root: staged.root,
        headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
      },
    ]);
    try {
      const got = await race(page, urls.app, staged, { port: served.ports[0] ?? 0 }, topology);
      expect(got.before).not.toEqual({ ok: true });
      expect(got.afterUpload, 'the 404 was not cached').toEqual({ ok: true });
      expect(got.afterReload).toEqual({ ok: true });
    } finally {
      await served.close();
      await staged.remove();
    }
  });
});
