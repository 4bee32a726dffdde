/**
 * Building new key records: from freshly generated, unwrapped or derived material to a
 * {@link KeyRecord} whose `CryptoKey` is non-extractable, with the material wrapped under the
 * storage key where the key is exportable or this browser cannot keep it in IndexedDB.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { KeyPurpose, PublicJwk, TokenPolicy } from '@strongroom/bridge/protocol';
import type { AlgorithmSpec } from '../lib/algorithms';
import { randomId } from '../lib/encoding';
import { jwkThumbprint } from '../lib/thumbprint';
import type { AtRestKeyName, KeyRecord, StoredProvenance } from './schema';
import type { Keystore } from './store';

/** Everything a new record needs besides its material, already validated by the policy. */
export interface NewKeyOptions {
  readonly purpose: KeyPurpose;
  readonly label: string;
  readonly maxTokenLifetime: number;
  readonly exportable: boolean;
  readonly tokenPolicy: TokenPolicy;
  readonly usesPerMinute: number | null;
  readonly presence: boolean;
  readonly presenceEveryMinutes: number;
  /** Whether `exportBackup` may include the key. */
  readonly backup: boolean;
  readonly provenance: StoredProvenance;
  /** Creation time (the policy clock). */
  readonly createdAt: number;
}

/** The private or secret half of new material, as the record will hold it. */
export interface StoredMaterial {
  readonly key: CryptoKey;
  readonly exportMaterial: Uint8Array | null;
  readonly atRest: Uint8Array | null;
  /** The key `exportMaterial` and `atRest` are wrapped under (absent: neither exists). */
  readonly atRestKey?: AtRestKeyName;
}

/** The public half of new material (pairs), or nulls (secret keys). */
export interface PublicMaterial {
  readonly publicKey: CryptoKey | null;
  readonly publicJwk: PublicJwk | null;
  readonly kid: string | null;
}

/** The public JWK of a pair: only the thumbprint members, plus `kid` and the JOSE `alg`. */
export async function describePublic(
  spec: AlgorithmSpec,
  publicKey: CryptoKey,
): Promise<PublicMaterial> {
  const exported = (await crypto.subtle.exportKey('jwk', publicKey)) as Record<string, unknown>;
  const members = spec.thumbprintMembers ?? [];
  const out: Record<string, string> = {};
  for (const name of members) {
    const value = exported[name];
    if (typeof value === 'string') out[name] = value;
  }
  const kid = await jwkThumbprint(out, members);
  const publicJwk: PublicJwk = { ...out, kid, ...(spec.jwkAlg ? { alg: spec.jwkAlg } : {}) };
  return { publicKey, publicJwk, kid };
}

/**
 * Turn a transient extractable private or secret key into what the record stores: the
 * material wrapped for storage (AES-GCM `wrapKey`, so the bytes never enter JS) — under the
 * vault's master key in vault mode (`LOCKED` while locked), else under the partition's storage
 * key — and a non-extractable key unwrapped from it. The caller drops the extractable handle.
 */
export async function fromExtractable(
  keystore: Keystore,
  spec: AlgorithmSpec,
  extractable: CryptoKey,
  options: { exportable: boolean; atRest: boolean },
): Promise<StoredMaterial> {
  const { blob, atRestKey } = await keystore.sealAtRest(spec, extractable);
  const key = await keystore.unwrapAtRest(atRestKey, spec, blob);
  return {
    key,
    exportMaterial: options.exportable ? blob : null,
    atRest: options.atRest ? blob : null,
    atRestKey,
  };
}

/** Assemble a new, active record of the keystore's owner and add it. */
export async function addNewKey(
  keystore: Keystore,
  spec: AlgorithmSpec,
  material: StoredMaterial & PublicMaterial,
  options: NewKeyOptions,
): Promise<KeyRecord> {
  if (material.key.extractable) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
  const id = randomId();
  const record: KeyRecord = {
    id,
    kid: material.kid ?? id,
    alg: spec.alg,
    label: options.label,
    owner: keystore.owner,
    createdAt: options.createdAt,
    version: 1,
    versionCreatedAt: options.createdAt,
    state: 'active',
    purpose: options.purpose,
    provenance: options.provenance,
    tokenPolicy: options.tokenPolicy,
    usesPerMinute: options.usesPerMinute,
    presence: options.presence,
    presenceEveryMinutes: options.presenceEveryMinutes,
    deletion: null,
    retired: [],
    usage: { count: 0, lastUsedAt: null },
    key: material.key,
    publicKey: material.publicKey,
    publicJwk: material.publicJwk,
    maxTokenLifetime: options.maxTokenLifetime,
    exportable: options.exportable,
    exportMaterial: material.exportMaterial,
    atRest: material.atRest,
    ...(material.atRestKey && (material.atRest || material.exportMaterial)
      ? { atRestKey: material.atRestKey }
      : {}),
    backup: options.backup,
  };
  await keystore.add(record);
  return record;
}
