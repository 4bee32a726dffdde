/**
 * The one algorithm table: a key algorithm id resolves to everything the enclave needs to
 * generate, store and use it. Nothing below this module switches on raw algorithm strings.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { KeyAlgorithm } from '@strongroom/bridge/protocol';

/** What a key of an algorithm can be used for, in Strongroom's terms. */
export type Capability =
  | 'sign'
  | 'verify'
  | 'agree'
  | 'seal'
  | 'wrap'
  /** `signJwt`: the JOSE `alg` is the key's own. */
  | 'jwt'
  /** `vapidAuth` (RFC 8292 requires ES256). */
  | 'vapid'
  /** `decryptJwe` with `ECDH-ES+A256KW` / `A256GCM`. */
  | 'jwe';

/** How a KEK wraps: the mechanism and its id byte in envelopes (see docs/formats.md). */
export interface KekMechanism {
  /** The byte that names the mechanism in an envelope. */
  readonly id: number;
  readonly name: 'AES-KW' | 'AES-GCM';
}

/** Everything the enclave knows about one algorithm. */
export interface AlgorithmSpec {
  readonly alg: KeyAlgorithm;
  /** `pair` keys have a public half; `secret` keys do not. */
  readonly kind: 'pair' | 'secret';
  /** Parameters of `crypto.subtle.generateKey`. */
  readonly generateParams:
    | AlgorithmIdentifier
    | EcKeyGenParams
    | AesKeyGenParams
    | HmacKeyGenParams;
  /** Usages requested at generation (private and public halves together for pairs). */
  readonly generateUsages: readonly KeyUsage[];
  /** Parameters of `crypto.subtle.sign` / `verify`, for algorithms that sign. */
  readonly signParams?: AlgorithmIdentifier | EcdsaParams;
  /** Parameters of `crypto.subtle.importKey` for the public key (pairs only). */
  readonly importPublicParams?: AlgorithmIdentifier | EcKeyImportParams;
  /** Usages of the imported public key (pairs only). */
  readonly publicUsages?: readonly KeyUsage[];
  /** The JWK members that enter the RFC 7638 thumbprint (pairs only), in order. */
  readonly thumbprintMembers?: readonly string[];
  /** JOSE `alg` to put in the public JWK, where JOSE defines one for the key itself. */
  readonly jwkAlg?: string;
  /** Byte length of a valid signature, for algorithms that sign. */
  readonly signatureBytes?: number;
  readonly capabilities: ReadonlySet<Capability>;
  /** Parameters of `crypto.subtle.importKey` for the private or secret key material. */
  readonly importParams: AlgorithmIdentifier | EcKeyImportParams | HmacImportParams;
  /** Usages of the private or secret key (what the record's `key` may do). */
  readonly keyUsages: readonly KeyUsage[];
  /** The format in which the private or secret material is wrapped and unwrapped. */
  readonly materialFormat: 'raw' | 'pkcs8';
  /** Allowed byte lengths of raw secret material (secret keys only). */
  readonly secretBytes?: { readonly min: number; readonly max: number };
  /** `kty` and `crv` of the public JWK (pairs only). */
  readonly publicJwkShape?: { readonly kty: 'EC' | 'OKP'; readonly crv: string };
  /** Length in bits of the ECDH shared secret (agreement keys only). */
  readonly agreeBits?: number;
  /** The KEK mechanism, for keys that can be a KEK (`seal`, `wrapKey`, `unwrapKey`). */
  readonly kek?: KekMechanism;
}

const EC_MEMBERS = ['crv', 'kty', 'x', 'y'] as const;
const OKP_MEMBERS = ['crv', 'kty', 'x'] as const;

const TABLE: { readonly [A in KeyAlgorithm]: AlgorithmSpec } = {
  ES256: {
    alg: 'ES256',
    kind: 'pair',
    generateParams: { name: 'ECDSA', namedCurve: 'P-256' },
    generateUsages: ['sign', 'verify'],
    signParams: { name: 'ECDSA', hash: 'SHA-256' },
    importPublicParams: { name: 'ECDSA', namedCurve: 'P-256' },
    publicUsages: ['verify'],
    thumbprintMembers: EC_MEMBERS,
    jwkAlg: 'ES256',
    signatureBytes: 64,
    capabilities: new Set(['sign', 'verify', 'jwt', 'vapid']),
    importParams: { name: 'ECDSA', namedCurve: 'P-256' },
    keyUsages: ['sign'],
    materialFormat: 'pkcs8',
    publicJwkShape: { kty: 'EC', crv: 'P-256' },
  },
  EdDSA: {
    alg: 'EdDSA',
    kind: 'pair',
    generateParams: { name: 'Ed25519' },
    generateUsages: ['sign', 'verify'],
    signParams: { name: 'Ed25519' },
    importPublicParams: { name: 'Ed25519' },
    publicUsages: ['verify'],
    thumbprintMembers: OKP_MEMBERS,
    jwkAlg: 'EdDSA',
    signatureBytes: 64,
    capabilities: new Set(['sign', 'verify', 'jwt']),
    importParams: { name: 'Ed25519' },
    keyUsages: ['sign'],
    materialFormat: 'pkcs8',
    publicJwkShape: { kty: 'OKP', crv: 'Ed25519' },
  },
  X25519: {
    alg: 'X25519',
    kind: 'pair',
    generateParams: { name: 'X25519' },
    generateUsages: ['deriveBits'],
    importPublicParams: { name: 'X25519' },
    publicUsages: [],
    thumbprintMembers: OKP_MEMBERS,
    capabilities: new Set(['agree', 'jwe']),
    importParams: { name: 'X25519' },
    keyUsages: ['deriveBits'],
    materialFormat: 'pkcs8',
    publicJwkShape: { kty: 'OKP', crv: 'X25519' },
    agreeBits: 256,
  },
  'ECDH-ES': {
    alg: 'ECDH-ES',
    kind: 'pair',
    generateParams: { name: 'ECDH', namedCurve: 'P-256' },
    generateUsages: ['deriveBits'],
    importPublicParams: { name: 'ECDH', namedCurve: 'P-256' },
    publicUsages: [],
    thumbprintMembers: EC_MEMBERS,
    capabilities: new Set(['agree', 'jwe']),
    importParams: { name: 'ECDH', namedCurve: 'P-256' },
    keyUsages: ['deriveBits'],
    materialFormat: 'pkcs8',
    publicJwkShape: { kty: 'EC', crv: 'P-256' },
    agreeBits: 256,
  },
  A256GCM: {
    alg: 'A256GCM',
    kind: 'secret',
    generateParams: { name: 'AES-GCM', length: 256 },
    generateUsages: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    capabilities: new Set(['seal', 'wrap']),
    importParams: { name: 'AES-GCM' },
    keyUsages: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    materialFormat: 'raw',
    secretBytes: { min: 32, max: 32 },
    kek: { id: 2, name: 'AES-GCM' },
  },
  A256KW: {
    alg: 'A256KW',
    kind: 'secret',
    generateParams: { name: 'AES-KW', length: 256 },
    generateUsages: ['wrapKey', 'unwrapKey'],
    capabilities: new Set(['seal', 'wrap']),
    importParams: { name: 'AES-KW' },
    keyUsages: ['wrapKey', 'unwrapKey'],
    materialFormat: 'raw',
    secretBytes: { min: 32, max: 32 },
    kek: { id: 1, name: 'AES-KW' },
  },
  HS256: {
    alg: 'HS256',
    kind: 'secret',
    generateParams: { name: 'HMAC', hash: 'SHA-256', length: 256 },
    generateUsages: ['sign', 'verify'],
    signParams: { name: 'HMAC' },
    signatureBytes: 32,
    capabilities: new Set(['sign', 'verify']),
    importParams: { name: 'HMAC', hash: 'SHA-256' },
    keyUsages: ['sign', 'verify'],
    materialFormat: 'raw',
    // RFC 7518 §3.2: at least 256 bits; at most one SHA-256 block (64 bytes).
    secretBytes: { min: 32, max: 64 },
  },
};

/** The spec of an algorithm id that has already been validated as a {@link KeyAlgorithm}. */
export function algorithm(alg: KeyAlgorithm): AlgorithmSpec {
  return TABLE[alg];
}

/** Every algorithm of the table, in a stable order. */
export function allAlgorithms(): readonly AlgorithmSpec[] {
  return Object.values(TABLE);
}

/** The spec of `value`, or `UNSUPPORTED_ALGORITHM` naming `field`. */
export function specOf(value: unknown, field: string): AlgorithmSpec {
  if (!isKeyAlgorithm(value)) {
    throw new StrongroomError('UNSUPPORTED_ALGORITHM', `"${field}" is not a supported algorithm`);
  }
  return TABLE[value];
}

/** True when `value` names an algorithm of the table. */
export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && Object.hasOwn(TABLE, value);
}
