/**
 * Screenshots of the consent dialog for docs/consent.md, taken from the running enclave
 * (Chromium, cross-site: one engine is enough for pictures; the behaviour is tested in every
 * engine by e2e/core/consent.ts). Written to test-results/screens/; docs/images/ holds copies.
 */
import { mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { encode } from './fixtures/src/wire-json';
import { call, connectHarness, enclaveFrame, expect, openHarness, test } from './support/test';

const OUT = resolve('test-results/screens');

test('the consent dialog as the person sees it (screenshots)', async ({
  page,
  urls,
  browserName,
  topology,
}) => {
  test.skip(
    browserName !== 'chromium' || topology !== 'cross-site',
    'pictures for the docs come from one engine; every engine is tested in e2e/core/consent.ts',
  );
  mkdirSync(OUT, { recursive: true });
  await page.setViewportSize({ width: 900, height: 560 });
  await openHarness(page, urls.app);
  await connectHarness(page);
  const shots: [string, string, unknown[]][] = [];
  const identity = await call<{ id: string }>(page, 'generateKey', {
    alg: 'EdDSA',
    purpose: 'sign',
    label: 'device identity',
  });
  shots.push(['consent-destroy.png', 'destroyKey', [identity.id]]);
  const kek = await call<{ id: string }>(page, 'generateKey', { alg: 'A256KW', purpose: 'wrap' });
  const notes = await call<{ id: string }>(page, 'generateKey', {
    alg: 'A256GCM',
    purpose: 'seal',
    label: 'notes',
    exportable: true,
  });
  shots.push(['consent-export.png', 'wrapKey', [kek.id, notes.id]]);
  for (const [file, op, args] of shots) {
    const input: { op: string; args: unknown[] } = { op, args: args.map(encode) };
    await page.evaluate(
      (arg: { op: string; args: unknown[] }) => window.sr.start(arg.op, arg.args as never),
      input,
    );
    const frame = await enclaveFrame(page, urls.enclave);
    await frame.waitForFunction(() => document.documentElement.dataset.consent === 'open');
    await page.waitForTimeout(300);
    const path = resolve(OUT, file);
    await page.screenshot({ path });
    expect(statSync(path).size).toBeGreaterThan(5000);
    await frame.locator('#consent-decline').click();
    await frame.waitForFunction(() => document.documentElement.dataset.consent === 'closed');
  }
});
