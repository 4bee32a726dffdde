/**
 * Storage partitioning, asserted per browser: keys made in an embedded enclave, then the
 * enclave's origin visited at top level. A cross-site embedding is partitioned in every
 * engine (the top-level visit does not see the key); a same-site embedding shares first-party
 * storage in Chromium and Firefox (it does) and is partitioned in WebKit (it does not).
 */
import { call, connectHarness, enclaveFrame, openHarness, waitFor } from './harness';
import { dumpKeystore } from './keystore';
import { type CoreSuite, expect } from './suite';

/** Whether an engine shares a same-site iframe's storage with the top-level site. */
export const SAME_SITE_SHARED: Readonly<Record<string, boolean>> = {
  chromium: true,
  firefox: true,
  webkit: false,
};

/** The partitioning suites. */
export const PARTITIONING: readonly CoreSuite[] = [
  {
    describe: 'when an embedded enclave makes a key',
    tests: [
      {
        name: 'the top-level enclave origin sees it only where storage is not partitioned',
        async run({ page: app, newPage, urls, topology, browserName }) {
          await openHarness(app, urls.app);
          await connectHarness(app);
          const key = await call<{ id: string }>(app, 'generateKey', {
            alg: 'EdDSA',
            purpose: 'sign',
            label: 'partition probe',
          });
          const info = await call<{ storage: Record<string, unknown> }>(app, 'info');
          // The key is in the embedded enclave's storage.
          expect((await dumpKeystore(enclaveFrame(app, urls.enclave))).map((k) => k.id)).toContain(
            key.id,
          );

          // The enclave's origin at top level: first-party storage.
          const top = await newPage();
          await top.goto(urls.enclave);
          const status = await waitFor(
            () => top.evaluate(() => document.documentElement.dataset.status ?? null),
            'refused: not-framed',
          );
          expect(status).toBe('refused: not-framed');
          const visible = (await dumpKeystore(top)).some((k) => k.id === key.id);

          if (topology === 'cross-site') {
            expect(info.storage).toMatchObject({ crossSite: true, partitioned: true });
            expect(visible, `${browserName}: a cross-site embedding is partitioned`).toBe(false);
          } else {
            expect(info.storage).toMatchObject({ crossSite: false, partitioned: null });
            expect(visible, `${browserName}: same-site sharing`).toBe(
              SAME_SITE_SHARED[browserName],
            );
          }
        },
      },
    ],
  },
];
