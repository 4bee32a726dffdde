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
export type RefusalReason = 'framed-twice' | 'not-framed' | 'storage-unavailable';

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
   * sha256 (hex) of the released `index.html`, built in by the verifiable-release build;
   * `null` in builds that are not releases (development and test builds).
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
}

/** Options of `generateKey`. */
export interface GenerateKeyOptions {
  readonly alg: KeyAlgorithm;
  /** A label for people, at most {@link LIMITS}.maxLabelLength characters. Default `''`. */
  readonly label?: string;
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
] as const satisfies readonly OperationName[];

// Compile-time check that OPERATION_NAMES lists every operation of EnclaveApi.
type MissingOperations = Exclude<OperationName, (typeof OPERATION_NAMES)[number]>;
const everyOperationListed: MissingOperations extends never ? true : false = true;
void everyOperationListed;
