/**
 * The public view of a key record: what `generateKey`, `getKey` and `listKeys` return.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import type { KeyRecordMeta } from '../keystore/schema';

/** Describe a record without any key material. */
export function toKeyInfo(record: KeyRecordMeta): KeyInfo {
  return {
    id: record.id,
    kid: record.kid,
    alg: record.alg,
    label: record.label,
    owner: record.owner,
    createdAt: record.createdAt,
    version: record.version,
    state: record.state,
    usage: { ...record.usage },
    publicJwk: record.publicJwk ? { ...record.publicJwk } : null,
    extractable: false,
    exportable: record.exportable,
    maxTokenLifetime: record.maxTokenLifetime,
  };
}
