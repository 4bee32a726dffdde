/**
 * Tampering: every file of the built test enclave altered by one byte, one at a time, served
 * with the real headers. The bridge must fail within its timeout — `ENCLAVE_UNAVAILABLE` when
 * the enclave refuses (worker or stylesheet integrity), `HANDSHAKE_TIMEOUT` when SRI blocks the
 * page script so that nothing runs to answer, `DIGEST_MISMATCH` when the code still runs but
 * the app pinned the release with `expectDigest` (an index.html edit that breaks nothing) —
 * and `strongroom-verify` must name the altered file, from the folder and from the server.
 * Runs once per browser (cross-site projects); the topology plays no part here.
 */
import { rm } from 'node:fs/promises';
import { ROOT } from '../build/vite-enclave';
import { enclaveUrl } from '../scripts/topology';
import { main as verify } from '../scripts/verify/main';
import { makeTamperFixture, serveRoot, type TamperFixture } from './support/tamper';
import { expect, openHarness, test } from './support/test';

const TIMEOUT_MS = 4_000;
/** Slack over the timeout for a slow, loaded machine. */
const SLACK_MS = 4_000;

test.describe.configure({ mode: 'default' });
test.skip(
  ({ topology }) => topology !== 'cross-site',
  'integrity checks run before the handshake and do not depend on the embedding topology; the cross-site project of each browser covers them',
);

let fixture: TamperFixture;
let server: Awaited<ReturnType<typeof serveRoot>>;

test.beforeAll(async () => {
  // The folder the shared e2e server serves (scripts/serve-test.ts), built by build-test.ts.
  const built = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';
  fixture = await makeTamperFixture(
    process.env.STRONGROOM_E2E_ENCLAVE_DIR ?? `${ROOT}${built}/enclave`,
  );
  server = await serveRoot(fixture.root);
});
test.afterAll(async () => {
  await server?.close();
  if (fixture) await rm(fixture.root, { recursive: true, force: true });
});

type ConnectResult = { ok: true } | { $error: { code: string | null; message: string } };

async function connectTo(
  page: import('@playwright/test').Page,
  folder: string,
  expectDigest: string,
): Promise<{ result: ConnectResult; ms: number }> {
  const url = `${enclaveUrl('cross-site', server.port)}${folder}/`;
  const started = Date.now();
  const result = (await page.evaluate((o) => window.sr.connect(o), {
    url,
    timeoutMs: TIMEOUT_MS,
    expectDigest,
  })) as ConnectResult;
  return { result, ms: Date.now() - started };
}

/** Run strongroom-verify in-process; returns the failing rows of its JSON report. */
async function failingRows(source: string[]): Promise<{ check: string; subject: string }[]> {
  let out = '';
  const code = await verify(
    [
      ...source,
      '--manifest',
      fixture.manifestPath,
      '--bundle',
      fixture.bundlePath,
      '--key',
      fixture.publicKeyPath,
      '--json',
    ],
    { out: (t) => (out += t), err: (t) => (out += t) },
  );
  const report = JSON.parse(out) as { rows: { check: string; subject: string; ok: boolean }[] };
  const failed = report.rows.filter((r) => !r.ok);
  expect(code === 0).toBe(failed.length === 0);
  return failed;
}

test.describe('when the enclave is served untouched', () => {
  test('it connects with the pinned digest and strongroom-verify passes', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    const { result } = await connectTo(page, 'pristine', fixture.manifest.releaseDigest);
    expect(result).toEqual({ ok: true });
    const info = (await page.evaluate(() => window.sr.call('info', []))) as {
      releaseDigest: string;
    };
    expect(info.releaseDigest).toBe(fixture.manifest.releaseDigest);
    expect(await failingRows(['--dir', `${fixture.root}/pristine`])).toEqual([]);
    expect(await failingRows(['--url', `http://127.0.0.1:${server.port}/pristine/`])).toEqual([]);
  });

  test('a wrong pinned digest is refused with DIGEST_MISMATCH, a malformed one as invalid', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    const { result } = await connectTo(page, 'pristine', 'f'.repeat(64));
    expect(result).toMatchObject({ $error: { code: 'DIGEST_MISMATCH' } });
    expect(await page.evaluate(() => window.sr.iframeCount())).toBe(0);
    const { result: malformed } = await connectTo(page, 'pristine', 'F'.repeat(64));
    expect(malformed).toMatchObject({ $error: { code: 'INVALID_ARGUMENT' } });
  });
});

test.describe('when one byte of one file is altered', () => {
  // The cases are planned from the build at load time of the spec, in beforeAll; one test
  // walks them so that the plan and the build cannot drift apart.
  test('the bridge fails within its timeout and strongroom-verify names the file', async ({
    page,
    urls,
  }) => {
    test.setTimeout(fixture.cases.length * (TIMEOUT_MS + SLACK_MS + 2_000));
    await openHarness(page, urls.app);
    for (const c of fixture.cases) {
      const label = `${c.file} (${c.where}, byte ${c.offset})`;
      const { result, ms } = await connectTo(page, c.id, fixture.manifest.releaseDigest);
      if ('ok' in result) await page.evaluate(() => window.sr.dispose());
      expect.soft(result, label).toHaveProperty('$error');
      const code = 'ok' in result ? null : result.$error.code;
      if (c.outcome === 'any') {
        expect
          .soft(['ENCLAVE_UNAVAILABLE', 'HANDSHAKE_TIMEOUT', 'DIGEST_MISMATCH'], label)
          .toContain(code);
      } else {
        expect.soft(code, label).toBe(c.outcome);
      }
      expect.soft(ms, `${label}: no hang`).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect.soft(await page.evaluate(() => window.sr.iframeCount()), label).toBe(0);

      for (const source of [
        ['--dir', `${fixture.root}/${c.id}`],
        ['--url', `http://127.0.0.1:${server.port}/${c.id}/`],
      ]) {
        const failed = await failingRows(source);
        expect.soft(failed.length, `${label}: ${source[0]}`).toBeGreaterThan(0);
        expect
          .soft(
            failed.filter((r) => r.check === 'file').map((r) => r.subject),
            `${label}: ${source[0]}`,
          )
          .toEqual([c.file]);
      }
    }
  });
});
