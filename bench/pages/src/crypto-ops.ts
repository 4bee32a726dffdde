/**
 * The bench's baselines: the same WebCrypto work the enclave does for each figure, with no
 * bridge, no validation, no Comlink and no keystore — run directly in the host page ("direct")
 * and, behind a bare `MessageChannel`, in a cross-origin iframe ("raw channel"). Keys live in
 * memory; key generation stores each key in IndexedDB, as the enclave persists its keys.
 */

/** Algorithm ids, as the enclave names them. */
export const ALGS = ['ES256', 'EdDSA', 'X25519', 'ECDH-ES', 'A256GCM', 'A256KW', 'HS256'] as const;

/** One of {@link ALGS}. */
export type Alg = (typeof ALGS)[number];

/** Bytes on an `ArrayBuffer` (what WebCrypto takes). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** A request to a baseline: what the enclave would be asked. */
export type Request =
  | { op: 'keygen'; alg: Alg }
  | { op: 'coldKey' }
  | { op: 'sign'; alg: 'EdDSA' | 'ES256'; data: Bytes }
  | { op: 'verify'; data: Bytes; signature: Bytes }
  | { op: 'signJwt'; claims: Record<string, string>; expiresIn: number }
  | { op: 'vapidAuth'; audience: string; subject: string }
  | { op: 'seal'; data: Bytes }
  | { op: 'open'; envelope: Bytes };

const GEN: Record<Alg, [AlgorithmIdentifier | EcKeyGenParams | AesKeyGenParams, KeyUsage[]]> = {
  ES256: [{ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams, ['sign', 'verify']],
  EdDSA: [{ name: 'Ed25519' }, ['sign', 'verify']],
  X25519: [{ name: 'X25519' }, ['deriveBits']],
  'ECDH-ES': [{ name: 'ECDH', namedCurve: 'P-256' } as EcKeyGenParams, ['deriveBits']],
  A256GCM: [{ name: 'AES-GCM', length: 256 } as AesKeyGenParams, ['encrypt', 'decrypt']],
  A256KW: [{ name: 'AES-KW', length: 256 } as AesKeyGenParams, ['wrapKey', 'unwrapKey']],
  HS256: [{ name: 'HMAC', hash: 'SHA-256' } as AlgorithmIdentifier, ['sign', 'verify']],
};

const ECDSA: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const te = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('strongroom-bench', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('keys');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * `crypto.subtle.generateKey`, once more on failure, as the enclave does (ops/generate-key.ts):
 * WebKitGTK 2.50 rejects about 1 in 110 Ed25519 generations with an `OperationError` that the
 * next call does not repeat, which used to end the WebKit bench at its first cold start.
 */
function generate(
  params: AlgorithmIdentifier | EcKeyGenParams | AesKeyGenParams,
  extractable: boolean,
  usages: KeyUsage[],
): Promise<CryptoKey | CryptoKeyPair> {
  const once = () =>
    crypto.subtle.generateKey(params, extractable, usages) as Promise<CryptoKey | CryptoKeyPair>;
  return once().catch(once);
}

/** The baseline's state: keys made once, kept in memory. */
export class Baseline {
  #db: IDBDatabase | null = null;
  #count = 0;
  #ed!: CryptoKeyPair;
  #es!: CryptoKeyPair;
  #esRaw!: string;
  #kek!: CryptoKey;
  #lastMade: CryptoKey | CryptoKeyPair | null = null;

  /** Open the key database (cold start: nothing else). */
  async open(): Promise<void> {
    this.#db ??= await openDb();
  }

  /** Make the keys the figures use. */
  async setup(): Promise<void> {
    await this.open();
    this.#ed = (await generate({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    this.#es = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    this.#esRaw = b64url(new Uint8Array(await crypto.subtle.exportKey('raw', this.#es.publicKey)));
    this.#kek = await crypto.subtle.generateKey({ name: 'AES-KW', length: 256 }, false, [
      'wrapKey',
      'unwrapKey',
    ]);
  }

  /** Run one request. */
  async run(req: Request): Promise<unknown> {
    switch (req.op) {
      case 'keygen':
        return this.#keygen(req.alg);
      case 'coldKey': {
        // Cold start: the first Ed25519 key, persisted, then kept for signing.
        const id = await this.#keygen('EdDSA');
        this.#ed = this.#lastMade as CryptoKeyPair;
        return id;
      }
      case 'sign':
        return new Uint8Array(
          req.alg === 'EdDSA'
            ? await crypto.subtle.sign('Ed25519', this.#ed.privateKey, req.data)
            : await crypto.subtle.sign(ECDSA, this.#es.privateKey, req.data),
        );
      case 'verify':
        return crypto.subtle.verify('Ed25519', this.#ed.publicKey, req.signature, req.data);
      case 'signJwt': {
        const iat = Math.floor(Date.now() / 1000);
        const claims = { ...req.claims, iat, exp: iat + req.expiresIn };
        return this.#jwt({ typ: 'JWT', alg: 'EdDSA' }, claims, 'Ed25519', this.#ed.privateKey);
      }
      case 'vapidAuth': {
        const exp = Math.floor(Date.now() / 1000) + 12 * 3600;
        const claims = { aud: req.audience, exp, sub: req.subject };
        const jwt = await this.#jwt(
          { typ: 'JWT', alg: 'ES256' },
          claims,
          ECDSA,
          this.#es.privateKey,
        );
        return `vapid t=${jwt}, k=${this.#esRaw}`;
      }
      case 'seal': {
        const dek = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, [
          'encrypt',
        ]);
        const wrapped = new Uint8Array(
          await crypto.subtle.wrapKey('raw', dek, this.#kek, 'AES-KW'),
        );
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const ct = new Uint8Array(
          await crypto.subtle.encrypt(
            { name: 'AES-GCM', iv, additionalData: wrapped },
            dek,
            req.data,
          ),
        );
        const out = new Uint8Array(wrapped.length + iv.length + ct.length);
        out.set(wrapped, 0);
        out.set(iv, wrapped.length);
        out.set(ct, wrapped.length + iv.length);
        return out;
      }
      case 'open': {
        const wrapped = req.envelope.subarray(0, 40);
        const iv = req.envelope.subarray(40, 52);
        const dek = await crypto.subtle.unwrapKey(
          'raw',
          wrapped,
          this.#kek,
          'AES-KW',
          { name: 'AES-GCM', length: 256 },
          false,
          ['decrypt'],
        );
        return new Uint8Array(
          await crypto.subtle.decrypt(
            { name: 'AES-GCM', iv, additionalData: wrapped },
            dek,
            req.envelope.subarray(52),
          ),
        );
      }
    }
  }

  async #jwt(
    header: Record<string, string>,
    claims: Record<string, unknown>,
    params: AlgorithmIdentifier | EcdsaParams,
    key: CryptoKey,
  ): Promise<string> {
    const input = `${b64url(te.encode(JSON.stringify(header)))}.${b64url(te.encode(JSON.stringify(claims)))}`;
    const sig = new Uint8Array(await crypto.subtle.sign(params, key, te.encode(input)));
    return `${input}.${b64url(sig)}`;
  }

  /** Generate a non-extractable key and store it in IndexedDB (one transaction per key). */
  async #keygen(alg: Alg): Promise<string> {
    const [params, usages] = GEN[alg];
    const made = await generate(params, false, usages);
    this.#lastMade = made;
    await this.open();
    const db = this.#db;
    if (!db) throw new Error('baseline not set up');
    this.#count += 1;
    const id = `k${this.#count}`;
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('keys', 'readwrite');
      tx.objectStore('keys').put({ id, alg, key: made }, id);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return id;
  }
}

/** The buffers a result holds, to transfer rather than copy it back over the channel. */
export function transfersOf(value: unknown): Transferable[] {
  return value instanceof Uint8Array ? [value.buffer] : [];
}
