/**
 * Reading the enclave's IndexedDB directly, from inside the enclave frame: the tests' view of
 * what is really stored, independent of the enclave's own operations.
 */
import type { Frame } from '@playwright/test';

/** A stored record as the tests compare it (no key material). */
export interface StoredKey {
  id: string;
  alg: string;
  owner: string;
  state: string;
  label: string;
  kid: string;
}

/** Every key record in this partition's keystore, sorted by id (`[]` if no database). */
export function dumpKeystore(frame: Frame): Promise<StoredKey[]> {
  return frame.evaluate(
    () =>
      new Promise<StoredKey[]>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onupgradeneeded = () => {
          // The database did not exist: don't create it.
          req.transaction?.abort();
        };
        req.onerror = () => resolve([]);
        req.onsuccess = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains('keys')) {
            db.close();
            resolve([]);
            return;
          }
          const all = db.transaction('keys').objectStore('keys').getAll();
          all.onsuccess = () => {
            db.close();
            const rows = (all.result as Record<string, unknown>[]).map((r) => ({
              id: String(r.id),
              alg: String(r.alg),
              owner: String(r.owner),
              state: String(r.state),
              label: String(r.label),
              kid: String(r.kid),
            }));
            resolve(rows.sort((a, b) => a.id.localeCompare(b.id)));
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

/** Try `exportKey` on every stored private/secret key; returns one verdict per record. */
export function tryExportEveryKey(
  frame: Frame,
): Promise<{ id: string; alg: string; exported: boolean; extractable: boolean; error: string }[]> {
  return frame.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const all = req.result.transaction('keys').objectStore('keys').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = async () => {
            const out = [];
            for (const r of all.result as { id: string; alg: string; key: CryptoKey }[]) {
              let exported = false;
              let error = '';
              for (const format of ['jwk', 'raw', 'pkcs8'] as const) {
                try {
                  await crypto.subtle.exportKey(format, r.key);
                  exported = true;
                } catch (err) {
                  error = (err as Error).name;
                }
              }
              out.push({ id: r.id, alg: r.alg, exported, extractable: r.key.extractable, error });
            }
            req.result.close();
            resolve(out);
          };
        };
      }),
  );
}
