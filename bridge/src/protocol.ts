/**
 * The wire contract between the bridge (in the app) and the enclave (iframe + key worker).
 * Both sides compile against this one file: the handshake messages, the operation names the
 * enclave exposes, their argument and result types, and the documented size bounds.
 *
 * Everything received from the other side is untrusted and validated before use; these types
 * describe what a well-behaved peer sends, not what arrives.
 */

/** Version of the handshake and call protocol. Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Enclave → parent window, posted once to each allowlisted origin when the enclave is ready. */
export interface ReadyMessage {
  readonly type: 'strongroom:ready';
  readonly protocol: typeof PROTOCOL_VERSION;
}

/** Enclave → parent window: the enclave will not start (framed twice, at top level, …). */
export interface RefusedMessage {
  readonly type: 'strongroom:refused';
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly reason: RefusalReason;
}

/** Why an enclave refused to start. */
export type RefusalReason =
  | 'framed-twice'
  | 'not-framed'
  /** The key worker's script failed its integrity check, did not load, or did not start. */
  | 'worker-failed'
  /** A stylesheet of the enclave page was refused by its SRI check (or did not load). */
  | 'integrity-failed';

/** Parent → enclave, with exactly one transferred `MessagePort`, to the exact enclave origin. */
export interface ConnectMessage {
  readonly type: 'strongroom:connect';
  readonly protocol: typeof PROTOCOL_VERSION;
  /** 128 random bits, base64url; echoed in {@link AcceptedMessage}. */
  readonly nonce: string;
}

/** Key worker → bridge, first message on the port: the channel is bound and ready. */
export interface AcceptedMessage {
  readonly type: 'strongroom:accepted';
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly nonce: string;
}

/** Algorithms the enclave can generate keys for. */
export const KEY_ALGORITHMS = [
  'ES256',
  'EdDSA',
  'X25519',
  'ECDH-ES',
  'A256GCM',
  'A256KW',
  'HS256',
] as const;

/** A key algorithm identifier (JOSE names where JOSE has one). */
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Lifecycle state of a key. */
export type KeyState = 'active' | 'retired' | 'revoked' | 'destroyed';

/** Formats in which a public key can be exported. */
export type PublicKeyFormat = 'jwk' | 'spki' | 'raw';

/** The documented size and count bounds, enforced by the enclave. */
export const LIMITS = {
  /** Largest `data` for `sign`/`verify`, in bytes (1 MiB). */
  maxDataBytes: 1024 * 1024,
  /** Largest signature accepted by `verify`, in bytes. */
  maxSignatureBytes: 1024,
  /** Longest key label, in UTF-16 code units. */
  maxLabelLength: 128,
  /** Longest key id accepted as an argument. */
  maxKeyIdLength: 64,
  /** Most keys one origin may hold in one storage partition. */
  maxKeysPerOrigin: 1000,
  /** Largest plaintext for `seal` (and envelope for `open`), in bytes (32 MiB). */
  maxSealBytes: 32 * 1024 * 1024,
  /** Largest additional authenticated data for `seal`/`open`, in bytes. */
  maxAadBytes: 64 * 1024,
  /** Largest JSON of a JWT's claims or extra header (UTF-8 bytes of `JSON.stringify`). */
  maxJwtJsonBytes: 16 * 1024,
  /** Deepest nesting of arrays and objects in JWT claims or header. */
  maxJsonDepth: 16,
  /** Token lifetime of a key that was created without `maxTokenLifetime`, in seconds (24 h). */
  defaultTokenLifetime: 24 * 60 * 60,
  /** Largest `maxTokenLifetime` a key may be created with, in seconds (366 days). */
  maxTokenLifetime: 366 * 24 * 60 * 60,
  /** Longest VAPID token lifetime, in seconds (24 h, RFC 8292 §2). */
  maxVapidLifetime: 24 * 60 * 60,
  /** Longest VAPID `aud` or `sub`, in characters. */
  maxVapidUrlLength: 512,
  /** Largest HKDF `info` or `salt` for `agree`, in bytes. */
  maxHkdfInputBytes: 1024,
  /** Largest wrapped key accepted by `unwrapKey`, in bytes. */
  maxWrappedKeyBytes: 4096,
  /** Largest plaintext for `encryptJwe`, in bytes (1 MiB). */
  maxJwePlaintextBytes: 1024 * 1024,
  /** Longest compact JWE accepted by `decryptJwe`, in characters. */
  maxJweLength: 1_500_000,
} as const;

/** The limits as the enclave reports them in {@link EnclaveInfo}. */
export type Limits = { readonly [K in keyof typeof LIMITS]: number };

/** What the enclave tells about its storage. `null` means the browser does not tell. */
export interface StorageInfo {
  /** Whether the enclave's origin is a different site than the embedding app's. */
  readonly crossSite: boolean;
  /**
   * Whether storage is partitioned by the top-level site. Every engine partitions a cross-site
   * iframe's storage, so this is `true` when `crossSite`; for a same-site embedding it is `null`
   * because engines differ (Chromium and Firefox share, WebKit partitions) and none tells.
   */
  readonly partitioned: boolean | null;
  /** `navigator.storage.persisted()`, or `null` where `navigator.storage` is missing. */
  readonly persisted: boolean | null;
}

/** The answer of `info()`. */
export interface EnclaveInfo {
  readonly name: 'strongroom';
  /** The enclave's package version. */
  readonly version: string;
  readonly protocol: typeof PROTOCOL_VERSION;
  /**
   * The release digest of what this enclave runs: sha256 (hex) of the canonical JSON of the
   * sorted `[{ path, sha384 }]` of every file of the release, `index.html` included — the
   * manifest's `releaseDigest`. The enclave computes it from the integrity pins the browser
   * enforced and a second fetch of its own `index.html`; every build reports it (release, test
   * and `npm start` builds alike; their allowlists differ, so their digests do). `null` if the
   * page loaded something without a sha384 pin or could not re-read its index.html. It is a
   * consistency check, not proof: a server that serves other code can make it report any
   * value (audit against the signed manifest for that). Pin it with `connect({ expectDigest })`.
   */
  readonly releaseDigest: string | null;
  readonly algorithms: readonly KeyAlgorithm[];
  /** The caller's origin, as bound to this channel at the handshake. */
  readonly origin: string;
  /** The enclave's own origin. */
  readonly enclaveOrigin: string;
  readonly storage: StorageInfo;
  readonly limits: Limits;
}

/** A public JWK as the enclave returns it: RFC 7517 members plus `kid`. */
export type PublicJwk = JsonWebKey & { kid?: string };

/** Public description of a key. Never contains secret or private material. */
export interface KeyInfo {
  /** Random id (22 base64url characters), chosen by the enclave. */
  readonly id: string;
  /**
   * RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key; for secret keys, which
   * have no public part, it equals `id`.
   */
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly label: string;
  /** The origin that created the key; only it can see or use the key. */
  readonly owner: string;
  /** Creation time, milliseconds since the epoch (enclave clock). */
  readonly createdAt: number;
  readonly version: number;
  readonly state: KeyState;
  readonly usage: { readonly count: number; readonly lastUsedAt: number | null };
  /** Public JWK for asymmetric keys (with `kid` and `alg` where JOSE defines one), else `null`. */
  readonly publicJwk: PublicJwk | null;
  /** Always `false`: Strongroom never creates extractable private or secret keys. */
  readonly extractable: false;
  /**
   * Whether `wrapKey` may export this key wrapped under a KEK (opted in at creation; the
   * `CryptoKey` itself stays non-extractable). Keys created without it can never leave.
   */
  readonly exportable: boolean;
  /** Longest lifetime, in seconds, of a token (`signJwt`, `vapidAuth`) this key will sign. */
  readonly maxTokenLifetime: number;
}

/** Options of `generateKey`. */
export interface GenerateKeyOptions {
  readonly alg: KeyAlgorithm;
  /** A label for people, at most {@link LIMITS}.maxLabelLength characters. Default `''`. */
  readonly label?: string;
  /**
   * Longest lifetime in seconds of any token this key signs (`ES256`, `EdDSA` only), fixed at
   * creation and never raised afterwards. Default {@link LIMITS}.defaultTokenLifetime (24 h).
   */
  readonly maxTokenLifetime?: number;
  /**
   * Opt in to `wrapKey` for this key (secret keys only: `A256GCM`, `A256KW`, `HS256`). Default
   * `false`: the key can never leave the enclave, and lost key = lost data.
   */
  readonly exportable?: boolean;
}

/** A JSON value (what a JWT's claims and header may contain). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [name: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { readonly [name: string]: JsonValue };

/** Options of `signJwt`. */
export interface SignJwtOptions {
  /**
   * Extra protected-header members (e.g. `typ`). The enclave sets `alg` and `kid` itself;
   * `alg`, `kid`, `crit`, `b64`, `enc`, `zip`, `jku`, `jwk`, `x5u`, `x5c`, `x5t` and
   * `x5t#S256` are refused.
   */
  readonly header?: JsonObject;
  /** The claims. `iat` and `exp` are set by the enclave and refused here. */
  readonly claims: JsonObject;
  /** Seconds from now until `exp`: an integer from 1 to the key's `maxTokenLifetime`. */
  readonly expiresIn: number;
}

/** Options of `vapidAuth` (RFC 8292). */
export interface VapidAuthOptions {
  /** The push service's origin (`https://…`, from the subscription's endpoint). */
  readonly audience: string;
  /** A `mailto:` address or an `https:` URL where the push service can reach the sender. */
  readonly subject: string;
  /** Seconds from now until `exp`, at most 24 h and the key's `maxTokenLifetime`. Default 12 h. */
  readonly expiresIn?: number;
}

/** Options of `seal`, as they cross the wire. */
export interface SealOptions {
  /** Additional authenticated data: not stored in the envelope, needed again by `open`. */
  readonly aad?: Uint8Array;
}

/** Options of `open`, as they cross the wire. */
export interface OpenOptions {
  /** The additional authenticated data given to `seal`. */
  readonly aad?: Uint8Array;
  /**
   * Open with this key instead of the one the envelope names (e.g. the peer's side of an
   * `agree`d key). The envelope's header stays authenticated either way.
   */
  readonly keyId?: string;
}

/** Options of `unwrapKey`. */
export interface UnwrapKeyOptions {
  /** The algorithm of the key inside `wrapped`. */
  readonly alg: KeyAlgorithm;
  readonly label?: string;
  /** As in {@link GenerateKeyOptions}. */
  readonly maxTokenLifetime?: number;
  /** As in {@link GenerateKeyOptions}: opt the imported secret key in to `wrapKey`. */
  readonly exportable?: boolean;
}

/** Algorithms of the key that `agree` derives. */
export type AgreedKeyAlgorithm = 'A256GCM' | 'A256KW';

/** Options of `agree`. */
export interface AgreeOptions {
  /** HKDF `info` (RFC 5869): binds the derived key to its purpose. A string is UTF-8 encoded. */
  readonly info: Uint8Array | string;
  /** HKDF salt. Default: none (a string of zeros, RFC 5869 §2.2). */
  readonly salt?: Uint8Array;
  /** The algorithm of the derived key. */
  readonly alg: AgreedKeyAlgorithm;
  readonly label?: string;
}

/** The answer of `decryptJwe`. */
export interface DecryptJweResult {
  readonly plaintext: Uint8Array;
  readonly protectedHeader: JsonObject;
}

/**
 * The operations the enclave exposes, as the bridge calls them. Arguments are positional on
 * the wire; every one is validated in the key worker before use.
 */
export interface EnclaveApi {
  info(): Promise<EnclaveInfo>;
  generateKey(options: GenerateKeyOptions): Promise<KeyInfo>;
  listKeys(): Promise<KeyInfo[]>;
  getKey(keyId: string): Promise<KeyInfo>;
  publicKey(keyId: string, format: PublicKeyFormat): Promise<PublicJwk | Uint8Array>;
  sign(keyId: string, data: Uint8Array): Promise<Uint8Array>;
  verify(keyId: string, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  deleteKey(keyId: string): Promise<void>;
  signJwt(keyId: string, options: SignJwtOptions): Promise<string>;
  vapidAuth(keyId: string, options: VapidAuthOptions): Promise<string>;
  seal(kekId: string, plaintext: Uint8Array, options?: SealOptions): Promise<Uint8Array>;
  open(envelope: Uint8Array, options?: OpenOptions): Promise<Uint8Array>;
  wrapKey(kekId: string, keyId: string): Promise<Uint8Array>;
  unwrapKey(kekId: string, wrapped: Uint8Array, options: UnwrapKeyOptions): Promise<KeyInfo>;
  agree(keyId: string, peerPublicJwk: PublicJwk, options: AgreeOptions): Promise<KeyInfo>;
  encryptJwe(recipientPublicJwk: PublicJwk, plaintext: Uint8Array): Promise<string>;
  decryptJwe(keyId: string, jwe: string): Promise<DecryptJweResult>;
}

/** The name of an operation. */
export type OperationName = keyof EnclaveApi;

/** Every operation name; the enclave refuses calls to anything else. */
export const OPERATION_NAMES = [
  'info',
  'generateKey',
  'listKeys',
  'getKey',
  'publicKey',
  'sign',
  'verify',
  'deleteKey',
  'signJwt',
  'vapidAuth',
  'seal',
  'open',
  'wrapKey',
  'unwrapKey',
  'agree',
  'encryptJwe',
  'decryptJwe',
] as const satisfies readonly OperationName[];

// Compile-time check that OPERATION_NAMES lists every operation of EnclaveApi.
type MissingOperations = Exclude<OperationName, (typeof OPERATION_NAMES)[number]>;
const everyOperationListed: MissingOperations extends never ? true : false = true;
void everyOperationListed;
