/**
 * Origin binding: a second allowlisted origin, embedding the same enclave in the same storage
 * partition, can neither see nor use the first origin's keys; it gets `KEY_NOT_FOUND`, exactly
 * as for a key that does not exist. The control reads the shared IndexedDB directly to show
 * the key is physically there, so only the owner check hides it.
 */
import { call, callError, connectHarness, enclaveFrame, openHarness } from './harness';
import { dumpKeystore } from './keystore';
import { type CoreSuite, expect } from './suite';

/**
 * Whether two app origins of one site share the embedded enclave's storage partition.
 * Chromium and Firefox partition by top-level site; WebKit by top-level origin, so there the
 * second origin's enclave never even holds the first origin's record (found 2026-11-23).
 */
export const SHARED_ACROSS_SAME_SITE_ORIGINS: Readonly<Record<string, boolean>> = {
  chromium: true,
  firefox: true,
  webkit: false,
};

/** The origin-binding suites. */
export const ORIGIN_BINDING: readonly CoreSuite[] = [
  {
    describe: 'when a second allowlisted origin uses the same enclave',
    tests: [
      {
        name: "it cannot see or use the first origin's keys",
        async run({ page: first, newPage, urls, browserName }) {
          await openHarness(first, urls.app);
          await connectHarness(first);
          const key = await call<{ id: string }>(first, 'generateKey', {
            alg: 'ES256',
            purpose: 'sign',
            label: 'first',
          });
          const data = new TextEncoder().encode('owned by the first origin');
          const signature = await call<Uint8Array>(first, 'sign', key.id, data);

          const second = await newPage();
          await openHarness(second, urls.secondApp);
          await connectHarness(second);
          expect(await call<{ origin: string }>(second, 'info')).toMatchObject({
            origin: urls.secondApp,
          });

          // Control: the record is in the storage the second origin's enclave reads, so only
          // the owner check hides it (WebKit: not even there, its partition is per origin).
          const stored = await dumpKeystore(enclaveFrame(second, urls.enclave));
          if (SHARED_ACROSS_SAME_SITE_ORIGINS[browserName]) {
            expect(stored.find((k) => k.id === key.id)).toMatchObject({ owner: urls.app });
          } else {
            expect(
              stored.map((k) => k.id),
              `${browserName}: partitioned per origin`,
            ).not.toContain(key.id);
          }

          const missing = await callError(second, 'getKey', 'AAAAAAAAAAAAAAAAAAAAAA');
          expect(missing).toMatchObject({ code: 'KEY_NOT_FOUND', isStrongroomError: true });
          expect((await call<{ id: string }[]>(second, 'listKeys')).map((k) => k.id)).not.toContain(
            key.id,
          );
          for (const [op, args] of [
            ['getKey', [key.id]],
            ['publicKey', [key.id, 'jwk']],
            ['sign', [key.id, data]],
            ['verify', [key.id, data, signature]],
            ['deleteKey', [key.id]],
          ] as const) {
            // Indistinguishable from a key that does not exist.
            expect(await callError(second, op, ...args), op).toEqual(missing);
          }

          // The first origin's key is untouched and still works.
          expect(await call(first, 'verify', key.id, data, signature)).toBe(true);
          expect(
            (await dumpKeystore(enclaveFrame(first, urls.enclave))).find((k) => k.id === key.id),
          ).toMatchObject({
            owner: urls.app,
            state: 'active',
          });
        },
      },
    ],
  },
];
