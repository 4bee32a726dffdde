/**
 * The demo app (`host-demo/`) and its server in WebKitGTK, for what this driver can do: first
 * run → identity key → registration by proof of possession → signed requests → a sealed note
 * whose plaintext the server's database never holds → a rotation the server sees → the attacker
 * panel, no attempt succeeding → a revocation the server sees. Web push is not tested here
 * (MiniBrowser has no push service to subscribe at), nor the consent click (the panel's two
 * questions time out instead).
 *
 * WebKit cannot route requests, so the test copies the built demo to a folder of its own under
 * the host server's root with a `strongroom-config.json` that names the enclave and the demo
 * server (a child process with its own data directory, CORS for the app's origin).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/vite-enclave';
import { DemoServer } from '../support/demo-server';
import { origins } from '../support/ports';
import { findWebKit } from './find-webkit';
import { WEBKIT_BUILD_DIR } from './global-setup';
import { openWebKitPage, type WebKitPage } from './page';

const available = findWebKit().ok;

/** Poll `expression` in the page until it is true (at most ~`seconds` s); fails with `what`. */
async function until(
  page: WebKitPage,
  expression: string,
  what: string,
  seconds = 20,
): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await page.evaluate<boolean>(`() => Boolean(${expression})`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Scroll `selector` into view (the driver clicks only what is in the viewport), then click it. */
async function click(page: WebKitPage, selector: string): Promise<void> {
  await page.evaluate(
    `() => document.querySelector(${JSON.stringify(selector)}).scrollIntoView({ block: 'center' })`,
  );
  await page.click(selector);
}

describe.skipIf(!available)('webkit: the demo app', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('registers, signs, seals a note the server cannot read, rotates the key, runs the attacker panel, and revokes', async () => {
    const urls = origins('cross-site');
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-demo-webkit-'));
    const server = new DemoServer(dataDir, new URL(urls.app).origin);
    await server.start();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => server.kill());
    const folder = `demo-webkit-${server.port}`;
    const copy = `${ROOT}${WEBKIT_BUILD_DIR}/host/${folder}`;
    cpSync(`${ROOT}${WEBKIT_BUILD_DIR}/host/demo`, copy, { recursive: true });
    writeFileSync(
      join(copy, 'strongroom-config.json'),
      JSON.stringify({ enclaveUrl: urls.enclave, apiUrl: server.api }),
    );
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    const page = await openWebKitPage();
    cleanups.push(() => page.close());

    await page.goto(`${urls.app}/${folder}/`);
    await until(
      page,
      "document.getElementById('registration').dataset.state === 'registered'",
      'registration',
    );
    const keyId = await page.evaluate<string>(
      "() => document.getElementById('key-id').textContent",
    );
    expect((await server.registry()).map((k) => k.keyId)).toEqual([keyId]);

    const marker = `webkit-plaintext-${server.port}`;
    await click(page, '#note-text');
    await page.type(marker);
    await click(page, '#note-save');
    await until(
      page,
      `[...document.querySelectorAll('#notes td.plain')].some((td) => td.textContent === '${marker}')`,
      'the sealed note',
    );
    const db = server.databaseBytes();
    expect(db.includes(Buffer.from(keyId))).toBe(true);
    expect(db.includes(Buffer.from(marker))).toBe(false);

    await click(page, '#key-rotate');
    await until(
      page,
      "document.getElementById('server-state').dataset.version === '2'",
      'the rotation',
    );
    expect((await server.registry()).map((k) => k.state)).toEqual(['rotated', 'active']);

    // The attacker panel: nobody answers the enclave's two questions here (the driver cannot
    // click into its frame), so they time out — refused all the same; no attempt may succeed.
    await click(page, '#attack-run');
    await until(page, "document.documentElement.dataset.attacks === 'done'", 'the attacks', 60);
    const outcomes = await page.evaluate<string[]>(
      "() => [...document.querySelectorAll('#attacks li')].map((li) => li.dataset.attack + ':' + li.dataset.outcome)",
    );
    expect(outcomes.length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => o.endsWith(':failed'))).toEqual([]);
    expect(outcomes).toContain('raw-jwt:refused');

    // Revocation: the server first, then the enclave; the server refuses the key for ever.
    await click(page, '#key-revoke');
    await until(
      page,
      "document.getElementById('server-state').dataset.state === 'revoked'",
      'the revocation',
    );
    expect((await server.registry()).map((k) => k.state)).toEqual(['rotated', 'revoked']);
  }, 150_000);
});
