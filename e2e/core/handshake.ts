/**
 * The handshake and its refusals: connecting, `info()`, a non-allowlisted origin, a second
 * handshake on the same document, double framing, a top-level visit, a same-origin URL, an
 * enclave that never answers, and `dispose()`.
 */
import {
  call,
  callError,
  connectHarness,
  frameSelector,
  HarnessError,
  harnessReady,
  openHarness,
  waitFor,
} from './harness';
import { type CoreSuite, expect } from './suite';

/** The handshake suites. */
export const HANDSHAKE: readonly CoreSuite[] = [
  {
    describe: 'when an allowlisted app connects',
    tests: [
      {
        name: 'info() reports the bound origin, version, algorithms and storage',
        async run({ page, urls, topology }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const info = await call<Record<string, unknown>>(page, 'info');
          expect(info).toMatchObject({
            name: 'strongroom',
            protocol: 1,
            releaseDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
            origin: urls.app,
            enclaveOrigin: new URL(urls.enclave).origin,
            algorithms: ['ES256', 'EdDSA', 'X25519', 'ECDH-ES', 'A256GCM', 'A256KW', 'HS256'],
          });
          expect(info.storage).toMatchObject(
            topology === 'cross-site'
              ? { crossSite: true, partitioned: true }
              : { crossSite: false, partitioned: null },
          );
          expect(info.limits).toMatchObject({ maxDataBytes: 1024 * 1024 });
        },
      },
      {
        // docs/performance.md, "The key worker's script preloaded": index.html preloads the
        // worker's script, so its fetch starts while the page is parsed. Chromium hands the
        // preloaded response to the page's integrity-checked fetch (one fetch in all); Firefox
        // reads it again from its HTTP cache, and WebKitGTK fetches it again. The test build is
        // a dev build: `devBoot` lists the document's resource timing entries and its marks.
        name: 'the key worker script is preloaded: its fetch starts before the page script runs',
        async run({ page, urls, browserName }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const info = await call<{ devBoot?: { document: { name: string; at: number }[] } }>(
            page,
            'info',
          );
          const marks = info.devBoot?.document ?? [];
          const fetches = marks.filter((m) =>
            /^fetch worker-[\w-]+\.js( \(cache\))? start$/.test(m.name),
          );
          const boot = marks.find((m) => m.name === 'boot');
          expect(boot).toBeDefined();
          // The first fetch is the preload's, from the network, before the page script ran.
          expect(fetches[0]?.name, JSON.stringify(marks)).not.toContain('(cache)');
          expect(fetches[0]?.at).toBeLessThanOrEqual(boot?.at ?? 0);
          // The page's own fetch: the preloaded response itself, or one more read.
          expect(fetches.length).toBe(browserName === 'chromium' ? 1 : 2);
        },
      },
      {
        name: 'dispose() rejects pending calls with ENCLAVE_UNAVAILABLE and removes the iframe',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          expect(await page.evaluate(() => window.sr.iframeCount())).toBe(1);
          const results = (await page.evaluate(() =>
            window.sr.disposeWithPending('listKeys', [], 5),
          )) as unknown[];
          expect(results).toHaveLength(5);
          for (const r of results) {
            expect(r).toMatchObject({
              $error: { code: 'ENCLAVE_UNAVAILABLE', isStrongroomError: true },
            });
          }
          expect(await page.evaluate(() => window.sr.iframeCount())).toBe(0);
        },
      },
    ],
  },
  {
    describe: 'when the handshake cannot complete',
    tests: [
      {
        name: 'a non-allowlisted origin gets no channel: blocked by frame-ancestors',
        async run({ page, urls }) {
          await openHarness(page, urls.foreign);
          const err = (await page.evaluate(
            (url) => window.sr.connect({ url, timeoutMs: 2500 }),
            urls.enclave,
          )) as { $error?: { code: string } };
          expect(err.$error?.code).toBe('HANDSHAKE_TIMEOUT');
          // The failed connect removed its iframe.
          expect(await page.evaluate(() => window.sr.iframeCount())).toBe(0);
          const forged = await page.evaluate(
            (url) => window.sr.forgedHandshake(url, 2500),
            urls.enclave,
          );
          expect(forged).toMatchObject({ answer: 'no-reply' });
        },
      },
      {
        name: 'a non-allowlisted origin gets no channel: refused by the enclave itself',
        async run({ page, urls }) {
          // TEST ONLY server without frame-ancestors: the enclave's own origin check must hold alone.
          await openHarness(page, urls.foreign);
          const forged = await page.evaluate(
            (url) => window.sr.forgedHandshake(url, 3000),
            urls.enclaveNoFrameAncestors,
          );
          expect(forged).toMatchObject({ answer: 'no-reply' });
          expect((forged as { tries: number }).tries).toBeGreaterThan(5);
          const selector = frameSelector(urls.enclaveNoFrameAncestors);
          const framed = await page.evaluate((s) => document.querySelector(s) !== null, selector);
          expect(framed, 'the enclave iframe is there').toBe(true);
          const status = await waitFor(
            () =>
              page.frame(selector).evaluate(() => document.documentElement.dataset.status ?? null),
            'ready',
          );
          expect(status, 'the enclave document loaded and is waiting').toBe('ready');
        },
      },
      {
        name: 'the same enclave without frame-ancestors still serves an allowlisted app',
        async run({ page, urls }) {
          // Control for the test above: the fixture server itself works.
          await openHarness(page, urls.app);
          await connectHarness(page, { url: urls.enclaveNoFrameAncestors });
          expect(await call<{ origin: string }>(page, 'info')).toMatchObject({ origin: urls.app });
        },
      },
      {
        name: 'a second handshake on the same document is ignored',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const key = await call<{ id: string }>(page, 'generateKey', {
            alg: 'EdDSA',
            purpose: 'sign',
          });
          const second = await page.evaluate(() => window.sr.secondHandshake(1500));
          expect(second).toBe('no-reply');
          // The first channel still works.
          const sig = await call<Uint8Array>(page, 'sign', key.id, new Uint8Array([1, 2, 3]));
          expect(sig).toHaveLength(64);
        },
      },
      {
        name: 'a double-framed enclave refuses to start',
        async run({ page, urls }) {
          await page.goto(
            `${urls.app}/double.html?inner=${encodeURIComponent(`${urls.secondApp}/harness.html`)}`,
          );
          const inner = page.frame(frameSelector(`${urls.secondApp}/harness.html`));
          await harnessReady(inner);
          let error: HarnessError | null = null;
          try {
            await connectHarness(inner, { url: urls.enclave, timeoutMs: 5000 });
          } catch (err) {
            if (err instanceof HarnessError) error = err;
          }
          expect(error?.view).toMatchObject({
            code: 'ENCLAVE_UNAVAILABLE',
            isStrongroomError: true,
          });
          // The reason comes from the enclave's own `refused` message (the bridge then removes the frame).
          expect(error?.view.message).toContain('framed-twice');
        },
      },
      {
        name: 'at top level the enclave does nothing',
        async run({ page, urls }) {
          await page.goto(urls.enclave);
          const status = await waitFor(
            () => page.evaluate(() => document.documentElement.dataset.status ?? null),
            'refused: not-framed',
          );
          expect(status).toBe('refused: not-framed');
        },
      },
      {
        name: 'an enclave that never answers yields HANDSHAKE_TIMEOUT, not a hang',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          // A page on another origin that is not an enclave: it never posts `ready`.
          const started = Date.now();
          const result = (await page.evaluate(
            (url) => window.sr.connect({ url, timeoutMs: 1500 }),
            `${urls.secondApp}/double.html`,
          )) as { $error?: { code: string } };
          expect(result.$error?.code).toBe('HANDSHAKE_TIMEOUT');
          expect(Date.now() - started).toBeLessThan(15_000);
        },
      },
      {
        name: 'a same-origin enclave URL is refused',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          const result = (await page.evaluate(
            (url) => window.sr.connect({ url }),
            `${urls.app}/harness.html`,
          )) as { $error?: { code: string; message: string } };
          expect(result.$error).toMatchObject({ code: 'INVALID_ARGUMENT' });
          expect(result.$error?.message).toContain('another origin');
        },
      },
      {
        name: 'calls before connecting are errors of the harness, not hangs',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          const err = await callError(page, 'info');
          expect(err.message).toContain('not connected');
        },
      },
    ],
  },
];
