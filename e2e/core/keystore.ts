/**
 * Reading the enclave's IndexedDB directly, from inside the enclave frame: the tests' view of
 * what is really stored, independent of the enclave's own operations.
 */
import type { BrowserFrame } from '../webkit/browser-page';

/** A stored record as the tests compare it (no key material). */
export interface StoredKey {
  id: string;
  alg: string;
  owner: string;
  state: string;
  label: string;
  kid: string;
}

/** What {@link tryExportEveryKey} finds for one record. */
export interface ExportVerdict {
  id: string;
  alg: string;
  /** `'cryptokey'`: a `CryptoKey` is stored; `'wrapped'`: only wrapped bytes (`key: null`). */
  stored: 'cryptokey' | 'wrapped';
  /** Bytes of the wrapped-at-rest material (0 when a `CryptoKey` is stored). */
  atRestBytes: number;
  /** Whether a public `CryptoKey` is stored beside it (never for wrapped-at-rest records). */
  hasPublicCryptoKey: boolean;
  exported: boolean;
  extractable: boolean;
  error: string;
}

/** Every key record in this partition's keystore, sorted by id (`[]` if no database). */
export function dumpKeystore(frame: BrowserFrame): Promise<StoredKey[]> {
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

/**
 * Try `exportKey` in every format on every stored private/secret `CryptoKey`; a record kept
 * wrapped at rest (no `CryptoKey` stored) is reported as such with the size of its wrapped bytes.
 */
export function tryExportEveryKey(frame: BrowserFrame): Promise<ExportVerdict[]> {
  return frame.evaluate(
    () =>
      new Promise<ExportVerdict[]>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const all = req.result.transaction('keys').objectStore('keys').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = async () => {
            const out: ExportVerdict[] = [];
            const rows = all.result as {
              id: string;
              alg: string;
              key: CryptoKey | null;
              publicKey?: CryptoKey | null;
              atRest?: Uint8Array | null;
            }[];
            for (const r of rows) {
              const atRestBytes = r.atRest ? r.atRest.byteLength : 0;
              const hasPublicCryptoKey = r.publicKey instanceof CryptoKey;
              if (!(r.key instanceof CryptoKey)) {
                out.push({
                  id: r.id,
                  alg: r.alg,
                  stored: 'wrapped',
                  atRestBytes,
                  hasPublicCryptoKey,
                  exported: false,
                  extractable: false,
                  error: 'no CryptoKey stored',
                });
                continue;
              }
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
              out.push({
                id: r.id,
                alg: r.alg,
                stored: 'cryptokey',
                atRestBytes,
                hasPublicCryptoKey,
                exported,
                extractable: r.key.extractable,
                error,
              });
            }
            req.result.close();
            resolve(out);
          };
        };
      }),
  );
}
