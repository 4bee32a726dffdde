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
  /** The enclave's protocol version: a bridge of another one answers `PROTOCOL_MISMATCH`. */
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
  | 'integrity-failed'
  /**
   * The bridge's `connect` carried another protocol version than the enclave's (the refusal
   * carries the enclave's own in `protocol`). The bridge reports `PROTOCOL_MISMATCH`.
   */
  | 'protocol-mismatch';

/** Parent → enclave, with exactly one transferred `MessagePort`, to the exact enclave origin. */
export interface ConnectMessage {
  readonly type: 'strongroom:connect';
  readonly protocol: typeof PROTOCOL_VERSION;
  /** 128 random bits, base64url; echoed in {@link AcceptedMessage}. */
  readonly nonce: string;
  /**
   * The bridge reads {@link BatchMessage}s of at most this many messages (an addition to
   * protocol 1: absent from older bridges, which then never get one).
   */
  readonly batch?: number;
}

/** Key worker → bridge, first message on the port: the channel is bound and ready. */
export interface AcceptedMessage {
  readonly type: 'strongroom:accepted';
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly nonce: string;
  /**
   * Present only when the bridge's `connect` announced `batch`: the enclave reads
   * {@link BatchMessage}s of at most this many calls, and batches its answers (to at most the
   * bridge's number). Absent from older enclaves: the bridge then sends one message per call.
   */
  readonly batch?: number;
}

/**
 * Most messages one {@link BatchMessage} carries, and the most a side announces it reads.
 * docs/api.md, "Calls made together travel together".
 */
export const MAX_BATCH_MESSAGES = 64;

/**
 * Several channel messages in one, on the port, in either direction, once both sides announced
 * `batch` in the handshake: the calls the app made in one task, or the answers the key worker
 * had ready together. Each element is handled exactly as if it had come alone (the enclave's
 * guard checks each; the policy decides on each call); a batch in a batch is refused.
 */
export interface BatchMessage {
  readonly type: 'strongroom:batch';
  /** One to {@link MAX_BATCH_MESSAGES} Comlink messages, in the order they were sent. */
  readonly messages: readonly unknown[];
}

/**
 * Enclave document → parent window, to the bound app origin only: the enclave needs the
 * person's answer to a question it draws itself (`open`), or no longer does (`close`). The
 * bridge shows the iframe as a modal while it is open. The question and the buttons are the
 * enclave's; the app only hosts the frame. docs/consent.md.
 */
export interface ConsentMessage {
  readonly type: 'strongroom:consent';
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly phase: 'open' | 'close';
  /** What is being asked (with `open`). */
  readonly request?: ConsentRequestInfo;
}

/** What a consent dialog asks, as the bridge's `consent` event reports it. */
export interface ConsentRequestInfo {
  /** The act: an operation name, or `connect` for a first connection. */
  readonly operation: OperationName | 'connect';
  /** The key concerned, if any. */
  readonly keyId?: string;
  readonly label?: string;
  readonly kid?: string;
  /** Whether the act cannot be undone. */
  readonly irreversible: boolean;
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

/**
 * Life-cycle state of a key (docs/policy.md):
 * - `active`: usable for its purpose;
 * - `revoked`: refuses every operation, for ever, but stays listed (`revokeKey`);
 * - `pending-deletion`: refuses every operation until `cancelDeletion`, or until its deletion
 *   date, when its material is destroyed and the key disappears (`scheduleDeletion`).
 */
export type KeyState = 'active' | 'revoked' | 'pending-deletion';

/** State of one version of a key: the `primary` creates; `retired` versions only read. */
export type KeyVersionState = 'primary' | 'retired';

/**
 * The one thing a key does, fixed at creation (docs/policy.md has the table):
 * - `sign`: raw signatures (`sign`, `verify`) — `ES256`, `EdDSA`;
 * - `jwt`: JWTs (`signJwt`, `verify`) — `ES256`, `EdDSA`;
 * - `vapid`: web push (`vapidAuth`, `applicationServerKey`, `verify`) — `ES256`;
 * - `mac`: HMAC (`sign`, `verify`) — `HS256`;
 * - `seal`: envelope encryption (`seal`, `open`) — `A256GCM`, `A256KW`;
 * - `wrap`: a KEK for other keys (`wrapKey`, `unwrapKey`) — `A256GCM`, `A256KW`;
 * - `agree`: key agreement (`agree`) — `X25519`, `ECDH-ES`;
 * - `jwe`: receiving JWEs (`decryptJwe`) — `X25519`, `ECDH-ES`.
 *
 * No key both signs raw bytes and signs tokens: a raw signature over `header.payload` would
 * be a token outside every token rule.
 */
export const KEY_PURPOSES = [
  'sign',
  'jwt',
  'vapid',
  'mac',
  'seal',
  'wrap',
  'agree',
  'jwe',
] as const;

/** A key purpose. */
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** The algorithms a key of each purpose may have. */
export const PURPOSE_ALGORITHMS: { readonly [P in KeyPurpose]: readonly KeyAlgorithm[] } = {
  sign: ['ES256', 'EdDSA'],
  jwt: ['ES256', 'EdDSA'],
  vapid: ['ES256'],
  mac: ['HS256'],
  seal: ['A256GCM', 'A256KW'],
  wrap: ['A256GCM', 'A256KW'],
  agree: ['X25519', 'ECDH-ES'],
  jwe: ['X25519', 'ECDH-ES'],
};

/**
 * Where a key's material came from:
 * - `generated`: generated in this enclave;
 * - `derived`: derived by `agree` (the peer — possibly the app page itself — can compute it);
 * - `imported`: imported by `unwrapKey` (whoever wrapped it knew it);
 * - `migrated`: stored before provenance was recorded (schema 1 and 2); treated like an
 *   imported key.
 */
export type KeySource = 'generated' | 'derived' | 'imported' | 'migrated' | 'restored';

/** The provenance of a key, as `KeyInfo` reports it. */
export interface KeyProvenance {
  readonly source: KeySource;
  /**
   * For `derived` keys the agreement key, for `imported` keys the KEK: its id and its own
   * source at the time. Absent otherwise.
   */
  readonly from?: { readonly keyId: string; readonly source: KeySource };
  /**
   * Whether the key's value may be known outside this enclave: `true` for every source but
   * `generated`. Such a key never acts as the KEK that exports another key, and no key pair
   * is ever imported under it. Apps that need device-bound keys filter on `source === 'generated'`.
   */
  readonly pageKnowable: boolean;
}

/** One version of a key, as `KeyInfo` lists it. */
export interface KeyVersionInfo {
  readonly version: number;
  /** RFC 7638 thumbprint of this version's public key; the key id for secret keys. */
  readonly kid: string;
  readonly state: KeyVersionState;
  /** Creation time of this version, milliseconds since the epoch. */
  readonly createdAt: number;
  /** This version's public JWK (key pairs), else `null`. */
  readonly publicJwk: PublicJwk | null;
}

/** Optional allowlists of a token key; `null` allows any value. */
export interface TokenPolicy {
  /** JWT `aud` values a `jwt` key signs for: each token must carry `aud`, all within the list. */
  readonly audiences: readonly string[] | null;
  /** JWT `iss` values a `jwt` key signs for: each token must carry one of them. */
  readonly issuers: readonly string[] | null;
  /** `sub` values a `jwt` or `vapid` key signs for: each token must carry one of them. */
  readonly subjects: readonly string[] | null;
  /** Push-service origins a `vapid` key signs for (the token's `aud`). */
  readonly vapidAudiences: readonly string[] | null;
}

/** A key's policy, as `KeyInfo` reports it. Narrowed with `restrictKey`, never widened. */
export interface KeyPolicy extends TokenPolicy {
  /** Longest lifetime, in seconds, of a token this key signs (`jwt`, `vapid` keys). */
  readonly maxTokenLifetime: number;
  /** Uses of this key per minute (a token bucket); at most the deployment's `keyUsesPerMinute`. */
  readonly usesPerMinute: number;
  /** Whether every use needs the person's approval in the enclave's dialog. */
  readonly presence: boolean;
  /** With `presence`: minutes an approval lasts for further uses (`0`: every use asks). */
  readonly presenceEveryMinutes: number;
}

/** A scheduled deletion. */
export interface KeyDeletion {
  /** When `scheduleDeletion` was called, milliseconds since the epoch (enclave clock). */
  readonly scheduledAt: number;
  /** When the material is destroyed, milliseconds since the epoch (enclave clock). */
  readonly destroyAt: number;
}

/**
 * The rate limits of a deployment (token buckets: each allows this many per minute, refilled
 * continuously). Build configuration (`strongroom.config.json` `rateLimits`), reported by
 * `info().rateLimits`; docs/policy.md explains each.
 */
export interface RateLimits {
  /** Uses of one key per minute (each signature, token, seal, open, wrap, …). */
  readonly keyUsesPerMinute: number;
  /** Uses of all keys of the calling origin per minute, per enclave worker. */
  readonly originUsesPerMinute: number;
  /** Keys created (`generateKey`, `unwrapKey`, `agree`, `rotateKey`) per minute by the origin. */
  readonly keyCreationsPerMinute: number;
  /**
   * Refused requests (`PROTOCOL_VIOLATION`, `INVALID_ARGUMENT`, `PAYLOAD_TOO_LARGE`,
   * `UNSUPPORTED_ALGORITHM`) one channel may send per minute; beyond it every call on that
   * channel is `RATE_LIMITED` until the bucket refills.
   */
  readonly violationsPerMinute: number;
}

/** The rate limits of a deployment that does not set its own. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  keyUsesPerMinute: 600,
  originUsesPerMinute: 3000,
  keyCreationsPerMinute: 60,
  violationsPerMinute: 120,
};

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
  /** Deletion window of `scheduleDeletion` (and `deleteKey`) when not given, in days. */
  defaultDeletionDays: 7,
  /** Shortest deletion window, in days. */
  minDeletionDays: 1,
  /** Longest deletion window, in days. */
  maxDeletionDays: 30,
  /** Most entries in a token policy allowlist (`audiences`, `issuers`, …). */
  maxPolicyValues: 32,
  /** Longest entry of a token policy allowlist, in characters. */
  maxPolicyValueLength: 512,
  /** Most versions a key keeps (`rotateKey` refuses beyond it). */
  maxKeyVersions: 32,
  /** Longest `presenceEveryMinutes` (24 h). */
  maxPresenceMinutes: 1440,
  /** Most unlock methods (enrollments) a vault keeps. */
  maxUnlockMethods: 8,
  /** Longest vault idle timeout, in minutes (24 h). */
  maxIdleMinutes: 1440,
  /** Most entries the audit log keeps per origin; older ones are pruned under a checkpoint. */
  maxAuditEntries: 10_000,
  /** Oldest audit entry kept, in days; older ones are pruned under a checkpoint. */
  maxAuditAgeDays: 90,
  /** Most entries one `auditLog` call returns. */
  maxAuditPage: 1000,
  /** A signed checkpoint is written every this many entries (and by `auditAnchor`). */
  auditCheckpointEvery: 100,
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
  /**
   * How the enclave's own request for persistent storage ended: the enclave document calls
   * `navigator.storage.persist()` once per load (a worker may not call it), bounded by
   * {@link PERSIST_TIMEOUT_MS}, and never makes an operation wait for it (`info()` waits at
   * most {@link PERSIST_INFO_WAIT_MS}). See {@link PersistRequest}.
   */
  readonly persistRequest: PersistRequest;
}

/**
 * How `navigator.storage.persist()` answered the enclave document:
 * - `granted`: storage is persistent (evicted only by the person, not under storage pressure);
 * - `denied`: the browser said no (Chromium by its heuristics, Firefox outright in a
 *   cross-origin iframe; docs/deployment.md, "Persistent storage");
 * - `unavailable`: no `navigator.storage.persist` here, or it threw;
 * - `timeout`: no answer within {@link PERSIST_TIMEOUT_MS} (a permission prompt nobody
 *   answered); a later answer replaces it;
 * - `pending`: asked, not answered yet when `info()` looked.
 */
export type PersistRequest = 'granted' | 'denied' | 'unavailable' | 'timeout' | 'pending';

/** How long the enclave document waits for `navigator.storage.persist()` before `timeout`. */
export const PERSIST_TIMEOUT_MS = 5_000;

/** How long `info()` waits for the first answer of the persistence request before `pending`. */
export const PERSIST_INFO_WAIT_MS = 250;

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
  /** The deployment's rate limits. */
  readonly rateLimits: RateLimits;
  /** This origin's vault mode (docs/vault.md). */
  readonly vault: VaultInfo;
}

/** An origin's vault mode, as `info()` and the vault operations report it. */
export interface VaultInfo {
  /** Whether vault mode is on: key material at rest is sealed under a secret of the person. */
  readonly enabled: boolean;
  /** Whether the keys are locked in this tab (`false` when vault mode is off). */
  readonly locked: boolean;
  /** Minutes without an operation after which the keys lock (`null` when off). */
  readonly idleMinutes: number | null;
  /** The ways to unlock (never their secrets or parameters). */
  readonly methods: readonly UnlockMethodInfo[];
}

/** One way to unlock a vault. */
export interface UnlockMethodInfo {
  readonly id: string;
  readonly method: 'passphrase' | 'passkey';
  readonly label: string;
  readonly createdAt: number;
}

/** Options of `enableVault`. */
export interface EnableVaultOptions {
  /** Minutes without an operation after which the keys lock: 1 to 1440, default 15. */
  readonly idleMinutes?: number;
  /** A label for the first unlock method (default: the method's name). */
  readonly label?: string;
  /**
   * The first unlock method: a passphrase the person chooses (default), or a passkey they
   * create, whose WebAuthn PRF output unlocks (docs/vault.md, "Passkeys").
   */
  readonly method?: UnlockMethodInfo['method'];
}

/** Options of `addUnlockMethod`. */
export interface AddUnlockMethodOptions {
  /** A label for the new method (default: the method's name). */
  readonly label?: string;
  /** A new passphrase (default), or a new passkey (WebAuthn PRF; docs/vault.md, "Passkeys"). */
  readonly method?: UnlockMethodInfo['method'];
}

/**
 * Enclave document → parent window, to the bound app origin only: the vault was locked or
 * unlocked (the bridge's `lock` event).
 */
export interface VaultMessage {
  readonly type: 'strongroom:vault';
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly locked: boolean;
  readonly reason: 'unlock' | 'lock' | 'idle' | 'enabled' | 'disabled';
}

/** A public JWK as the enclave returns it: RFC 7517 members plus `kid`. */
export type PublicJwk = JsonWebKey & { kid?: string };

/** Public description of a key. Never contains secret or private material. */
export interface KeyInfo {
  /** Random id (22 base64url characters), chosen by the enclave; the same for every version. */
  readonly id: string;
  /**
   * RFC 7638 JWK thumbprint (SHA-256, base64url) of the primary version's public key; for
   * secret keys, which have no public part, it equals `id`.
   */
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  /** The one thing this key does, fixed at creation. */
  readonly purpose: KeyPurpose;
  readonly label: string;
  /** The origin that created the key; only it can see or use the key. */
  readonly owner: string;
  /** Creation time, milliseconds since the epoch (enclave clock). */
  readonly createdAt: number;
  /** The primary version (1, then one more for each `rotateKey`). */
  readonly version: number;
  /** Every version still kept, primary first; retired versions only verify, open and unwrap. */
  readonly versions: readonly KeyVersionInfo[];
  readonly state: KeyState;
  /** Where the key's material came from. */
  readonly provenance: KeyProvenance;
  /** The key's policy. */
  readonly policy: KeyPolicy;
  /** The scheduled deletion, when `state` is `pending-deletion`; else `null`. */
  readonly deletion: KeyDeletion | null;
  readonly usage: { readonly count: number; readonly lastUsedAt: number | null };
  /** Public JWK of the primary version for key pairs (with `kid` and `alg` where JOSE defines one), else `null`. */
  readonly publicJwk: PublicJwk | null;
  /** Always `false`: Strongroom never creates extractable private or secret keys. */
  readonly extractable: false;
  /**
   * Whether `wrapKey` may export this key wrapped under a KEK (opted in at creation; the
   * `CryptoKey` itself stays non-extractable). Keys created without it can never leave.
   */
  readonly exportable: boolean;
  /**
   * Whether `exportBackup` may include this key (opted in at creation; docs/backup.md). Such a
   * key's material is kept wrapped at rest so that it can be backed up.
   */
  readonly backup: boolean;
  /** Longest lifetime, in seconds, of a token (`signJwt`, `vapidAuth`) this key will sign. */
  readonly maxTokenLifetime: number;
}

/** Policy options a new key may set (each only for the purposes it names). */
export interface KeyPolicyOptions {
  /**
   * Longest lifetime in seconds of any token this key signs (`jwt`, `vapid` keys), fixed at
   * creation and never raised afterwards. Default {@link LIMITS}.defaultTokenLifetime (24 h).
   */
  readonly maxTokenLifetime?: number;
  /** `jwt` keys: the `aud` values tokens may carry (then `aud` is required). Default: any. */
  readonly audiences?: readonly string[];
  /** `jwt` keys: the `iss` values tokens may carry (then `iss` is required). Default: any. */
  readonly issuers?: readonly string[];
  /** `jwt` and `vapid` keys: the `sub` values tokens may carry (then required). Default: any. */
  readonly subjects?: readonly string[];
  /** `vapid` keys: the push-service origins (`https://…`) it signs for. Default: any. */
  readonly vapidAudiences?: readonly string[];
  /** Uses per minute of this key, at most the deployment's `keyUsesPerMinute` (the default). */
  readonly usesPerMinute?: number;
}

/** Options of a new key that only creation sets (never `restrictKey`). */
export interface PresenceOptions {
  /**
   * Every use of the key asks the person in the enclave's own dialog (`CONSENT_DECLINED`,
   * `CONSENT_TIMEOUT`, `CONSENT_NOT_VISIBLE` otherwise). Default `false`. docs/consent.md.
   */
  readonly presence?: boolean;
  /**
   * With `presence`: an approval covers further uses for this many minutes (1 to 1440) in the
   * same enclave worker. Default `0`: every use asks.
   */
  readonly presenceEveryMinutes?: number;
}

/** Options of `generateKey`. */
export interface GenerateKeyOptions extends KeyPolicyOptions, PresenceOptions {
  readonly alg: KeyAlgorithm;
  /** What the key is for; required (see {@link KeyPurpose} for which algorithms fit). */
  readonly purpose: KeyPurpose;
  /** A label for people, at most {@link LIMITS}.maxLabelLength characters. Default `''`. */
  readonly label?: string;
  /**
   * Opt in to `wrapKey` for this key (secret keys only: `A256GCM`, `A256KW`, `HS256`). Default
   * `false`: the key can never leave the enclave, and lost key = lost data.
   */
  readonly exportable?: boolean;
  /**
   * Opt in to `exportBackup` for this key (any algorithm). Default `false`: the key is never in
   * a backup. Its material is then kept wrapped at rest (under the vault's master key in vault
   * mode, else under the enclave's storage key; docs/backup.md says what that costs).
   */
  readonly backup?: boolean;
}

/**
 * Options of `restrictKey`: the policy fields to narrow. Each must be at least as strict as
 * the key's current value (a shorter lifetime, a subset of a list, fewer uses per minute);
 * anything wider is `OPERATION_NOT_ALLOWED` and nothing changes.
 */
export type RestrictKeyOptions = KeyPolicyOptions;

/** What an audit entry records as the act: an operation, or `guard` for a refused message. */
export type AuditAct = OperationName | 'guard';

/**
 * One entry of the audit log (format version 1, docs/audit.md). Never payloads, tokens,
 * claims, signatures or secrets: only who asked for what, with which key, how it ended and
 * how many bytes went in and out.
 */
export interface AuditEntry {
  /** Format version. */
  readonly v: 1;
  /** 1, 2, 3, … per origin, without gaps. */
  readonly seq: number;
  /** Milliseconds since the epoch (the enclave's clock). */
  readonly time: number;
  /** The app origin bound to the channel. */
  readonly origin: string;
  readonly op: AuditAct;
  /** The key the act named (the KEK for `wrapKey`/`unwrapKey`/`seal`), or `null`. */
  readonly keyId: string | null;
  /** That key's primary version when the act ran, or `null`. */
  readonly keyVersion: number | null;
  /** That key's purpose, or `null`. */
  readonly purpose: KeyPurpose | null;
  /** `ok`, or the error code the caller got. */
  readonly outcome: string;
  /** Bytes of binary arguments (data, plaintext, envelopes, wrapped keys). */
  readonly inBytes: number;
  /** Bytes of a binary result. */
  readonly outBytes: number;
  /** `hash` of the previous entry (hex); 64 zeros before the first entry. */
  readonly prev: string;
  /** SHA-256 (hex) of the 32 bytes of `prev` followed by the canonical JSON of every other field. */
  readonly hash: string;
}

/** The state of the chain at an entry, signed by the enclave's audit key. */
export interface AuditCheckpoint {
  readonly v: 1;
  readonly origin: string;
  readonly seq: number;
  readonly hash: string;
  readonly time: number;
}

/** A checkpoint with its Ed25519 signature (base64url) over its canonical JSON. */
export interface SignedCheckpoint {
  readonly checkpoint: AuditCheckpoint;
  readonly signature: string;
}

/**
 * What an app or its server keeps **outside** the enclave to check the log later: the latest
 * checkpoint (made on demand) and the audit public key (docs/audit.md).
 */
export interface AuditAnchor {
  readonly checkpoint: SignedCheckpoint;
  /** The origin's audit public key (Ed25519 JWK with `kid`). */
  readonly publicJwk: PublicJwk;
}

/** Options of `auditLog`. */
export interface AuditLogOptions {
  /** Entries with `seq` greater than this. Default 0. */
  readonly since?: number;
  /** At most this many entries (1 to `LIMITS.maxAuditPage`). Default `LIMITS.maxAuditPage`. */
  readonly limit?: number;
}

/** A page of the audit log. */
export interface AuditLogPage {
  readonly entries: readonly AuditEntry[];
  /** Signed checkpoints with `seq` in the page's range, and the one that covers pruned entries. */
  readonly checkpoints: readonly SignedCheckpoint[];
  /** The last entry's `seq` and `hash` (0 and 64 zeros for an empty log). */
  readonly head: { readonly seq: number; readonly hash: string };
  /** The first `seq` still kept (older entries were pruned). */
  readonly firstSeq: number;
  readonly publicJwk: PublicJwk;
}

/** The answer of `verifyAuditLog`. */
export interface AuditVerification {
  /** Whether the chain, the signatures, the sequence and the checkpoints all check. */
  readonly ok: boolean;
  /** What failed first, when not `ok`. */
  readonly problem?: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly entries: number;
  readonly checkpoints: number;
}

/** Options of `scheduleDeletion`. */
export interface ScheduleDeletionOptions {
  /** Days until the material is destroyed: {@link LIMITS}.minDeletionDays to maxDeletionDays. Default 7. */
  readonly days?: number;
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
export interface UnwrapKeyOptions extends KeyPolicyOptions, PresenceOptions {
  /** The algorithm of the key inside `wrapped`. */
  readonly alg: KeyAlgorithm;
  /** What the imported key is for; required, as in {@link GenerateKeyOptions}. */
  readonly purpose: KeyPurpose;
  readonly label?: string;
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
  /** What the derived key is for: `seal` (the default) or `wrap` (importing secret keys only). */
  readonly purpose?: 'seal' | 'wrap';
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
  deleteKey(keyId: string): Promise<KeyInfo>;
  rotateKey(keyId: string): Promise<KeyInfo>;
  revokeKey(keyId: string): Promise<KeyInfo>;
  scheduleDeletion(keyId: string, options?: ScheduleDeletionOptions): Promise<KeyInfo>;
  cancelDeletion(keyId: string): Promise<KeyInfo>;
  restrictKey(keyId: string, options: RestrictKeyOptions): Promise<KeyInfo>;
  destroyKey(keyId: string): Promise<void>;
  resetEnclave(): Promise<void>;
  auditLog(options?: AuditLogOptions): Promise<AuditLogPage>;
  verifyAuditLog(): Promise<AuditVerification>;
  auditAnchor(): Promise<AuditAnchor>;
  signJwt(keyId: string, options: SignJwtOptions): Promise<string>;
  vapidAuth(keyId: string, options: VapidAuthOptions): Promise<string>;
  applicationServerKey(keyId: string): Promise<Uint8Array>;
  seal(kekId: string, plaintext: Uint8Array, options?: SealOptions): Promise<Uint8Array>;
  open(envelope: Uint8Array, options?: OpenOptions): Promise<Uint8Array>;
  wrapKey(kekId: string, keyId: string): Promise<Uint8Array>;
  unwrapKey(kekId: string, wrapped: Uint8Array, options: UnwrapKeyOptions): Promise<KeyInfo>;
  agree(keyId: string, peerPublicJwk: PublicJwk, options: AgreeOptions): Promise<KeyInfo>;
  encryptJwe(recipientPublicJwk: PublicJwk, plaintext: Uint8Array): Promise<string>;
  decryptJwe(keyId: string, jwe: string): Promise<DecryptJweResult>;
  enableVault(options?: EnableVaultOptions): Promise<VaultInfo>;
  disableVault(): Promise<VaultInfo>;
  unlock(): Promise<VaultInfo>;
  lock(): Promise<VaultInfo>;
  addUnlockMethod(options?: AddUnlockMethodOptions): Promise<VaultInfo>;
  removeUnlockMethod(methodId: string): Promise<VaultInfo>;
  exportBackup(options?: ExportBackupOptions): Promise<Uint8Array>;
  importBackup(file: Uint8Array, options?: ImportBackupOptions): Promise<ImportBackupResult>;
}

/** Options of `exportBackup` (docs/backup.md). */
export interface ExportBackupOptions {
  /** The keys to back up (each created with `backup: true`); default: every such key. */
  readonly keys?: readonly string[];
  /**
   * What the person protects the file with, chosen and entered in the enclave's dialog:
   * a passphrase (default) or a 24-word recovery phrase the enclave shows them.
   */
  readonly secret?: 'passphrase' | 'recovery-phrase';
}

/** Options of `importBackup`. */
export interface ImportBackupOptions {
  /**
   * What to do with keys of the backup that exist here. Absent (default): the enclave asks the
   * person, in its own dialog naming those keys, to skip or replace them. `skip`: skip them
   * without asking. `replace`: replace them — the person must still approve in the enclave's
   * dialog (the current keys are destroyed).
   */
  readonly onExisting?: 'skip' | 'replace';
}

/** What `importBackup` did, by key id. */
export interface ImportBackupResult {
  readonly imported: readonly string[];
  readonly skipped: readonly string[];
  readonly replaced: readonly string[];
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
  'rotateKey',
  'revokeKey',
  'scheduleDeletion',
  'cancelDeletion',
  'restrictKey',
  'destroyKey',
  'resetEnclave',
  'auditLog',
  'verifyAuditLog',
  'auditAnchor',
  'signJwt',
  'vapidAuth',
  'applicationServerKey',
  'seal',
  'open',
  'wrapKey',
  'unwrapKey',
  'agree',
  'encryptJwe',
  'decryptJwe',
  'enableVault',
  'disableVault',
  'unlock',
  'lock',
  'addUnlockMethod',
  'removeUnlockMethod',
  'exportBackup',
  'importBackup',
] as const satisfies readonly OperationName[];

/**
 * The most positional arguments each operation takes. The enclave's guard refuses a call with
 * more (`PROTOCOL_VIOLATION`) before any argument is deserialised.
 */
export const OPERATION_MAX_ARGS: { readonly [K in OperationName]: number } = {
  info: 0,
  generateKey: 1,
  listKeys: 0,
  getKey: 1,
  publicKey: 2,
  sign: 2,
  verify: 3,
  deleteKey: 1,
  rotateKey: 1,
  revokeKey: 1,
  scheduleDeletion: 2,
  cancelDeletion: 1,
  restrictKey: 2,
  destroyKey: 1,
  resetEnclave: 0,
  auditLog: 1,
  verifyAuditLog: 0,
  auditAnchor: 0,
  signJwt: 2,
  vapidAuth: 2,
  applicationServerKey: 1,
  seal: 3,
  open: 2,
  wrapKey: 2,
  unwrapKey: 3,
  agree: 3,
  encryptJwe: 2,
  decryptJwe: 2,
  enableVault: 1,
  disableVault: 0,
  unlock: 0,
  lock: 0,
  addUnlockMethod: 1,
  removeUnlockMethod: 1,
  exportBackup: 1,
  importBackup: 2,
};

// Compile-time check that OPERATION_NAMES lists every operation of EnclaveApi.
type MissingOperations = Exclude<OperationName, (typeof OPERATION_NAMES)[number]>;
const everyOperationListed: MissingOperations extends never ? true : false = true;
void everyOperationListed;
