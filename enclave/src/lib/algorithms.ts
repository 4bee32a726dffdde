/**
 * The one algorithm table: a key algorithm id resolves to everything the enclave needs to
 * generate, store and use it. Nothing below this module switches on raw algorithm strings.
 */
import type { KeyAlgorithm } from '@strongroom/bridge/protocol';

/** What a key of an algorithm can be used for, in Strongroom's terms. */
export type Capability = 'sign' | 'verify' | 'agree' | 'seal' | 'wrap';

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
    capabilities: new Set(['sign', 'verify']),
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
    capabilities: new Set(['sign', 'verify']),
  },
  X25519: {
    alg: 'X25519',
    kind: 'pair',
    generateParams: { name: 'X25519' },
    generateUsages: ['deriveBits'],
    importPublicParams: { name: 'X25519' },
    publicUsages: [],
    thumbprintMembers: OKP_MEMBERS,
    capabilities: new Set(['agree']),
  },
  'ECDH-ES': {
    alg: 'ECDH-ES',
    kind: 'pair',
    generateParams: { name: 'ECDH', namedCurve: 'P-256' },
    generateUsages: ['deriveBits'],
    importPublicParams: { name: 'ECDH', namedCurve: 'P-256' },
    publicUsages: [],
    thumbprintMembers: EC_MEMBERS,
    capabilities: new Set(['agree']),
  },
  A256GCM: {
    alg: 'A256GCM',
    kind: 'secret',
    generateParams: { name: 'AES-GCM', length: 256 },
    generateUsages: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    capabilities: new Set(['seal']),
  },
  A256KW: {
    alg: 'A256KW',
    kind: 'secret',
    generateParams: { name: 'AES-KW', length: 256 },
    generateUsages: ['wrapKey', 'unwrapKey'],
    capabilities: new Set(['seal', 'wrap']),
  },
  HS256: {
    alg: 'HS256',
    kind: 'secret',
    generateParams: { name: 'HMAC', hash: 'SHA-256', length: 256 },
    generateUsages: ['sign', 'verify'],
    signParams: { name: 'HMAC' },
    signatureBytes: 32,
    capabilities: new Set(['sign', 'verify']),
  },
};

/** The spec of an algorithm id that has already been validated as a {@link KeyAlgorithm}. */
export function algorithm(alg: KeyAlgorithm): AlgorithmSpec {
  return TABLE[alg];
}

/** True when `value` names an algorithm of the table. */
export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && Object.hasOwn(TABLE, value);
}
