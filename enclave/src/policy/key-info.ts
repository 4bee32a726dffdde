/**
 * The public view of a key record: what `generateKey`, `getKey`, `listKeys` and the life-cycle
 * operations return. No key material; the public JWK of every version kept.
 */
import type { KeyInfo, KeyVersionInfo, RateLimits } from '@strongroom/bridge/protocol';
import type { KeyRecordMeta } from '../keystore/schema';
import { isPageKnowable } from './provenance';

/** Describe a record (loaded or as stored) without any key material. */
export function toKeyInfo(record: KeyRecordMeta, limits: RateLimits): KeyInfo {
  const versions: KeyVersionInfo[] = [
    {
      version: record.version,
      kid: record.kid,
      state: 'primary',
      createdAt: record.versionCreatedAt,
      publicJwk: record.publicJwk ? { ...record.publicJwk } : null,
    },
    ...record.retired.map(
      (v): KeyVersionInfo => ({
        version: v.version,
        kid: v.kid,
        state: 'retired',
        createdAt: v.createdAt,
        publicJwk: v.publicJwk ? { ...v.publicJwk } : null,
      }),
    ),
  ];
  const { provenance } = record;
  return {
    id: record.id,
    kid: record.kid,
    alg: record.alg,
    purpose: record.purpose,
    label: record.label,
    owner: record.owner,
    createdAt: record.createdAt,
    version: record.version,
    versions,
    state: record.state,
    provenance: {
      source: provenance.source,
      ...(provenance.from ? { from: { ...provenance.from } } : {}),
      pageKnowable: isPageKnowable(provenance.source),
    },
    policy: {
      maxTokenLifetime: record.maxTokenLifetime,
      usesPerMinute: Math.min(
        record.usesPerMinute ?? limits.keyUsesPerMinute,
        limits.keyUsesPerMinute,
      ),
      presence: record.presence ?? false,
      presenceEveryMinutes: record.presenceEveryMinutes ?? 0,
      audiences: record.tokenPolicy.audiences ? [...record.tokenPolicy.audiences] : null,
      issuers: record.tokenPolicy.issuers ? [...record.tokenPolicy.issuers] : null,
      subjects: record.tokenPolicy.subjects ? [...record.tokenPolicy.subjects] : null,
      vapidAudiences: record.tokenPolicy.vapidAudiences
        ? [...record.tokenPolicy.vapidAudiences]
        : null,
    },
    deletion: record.deletion
      ? { scheduledAt: record.deletion.scheduledAt, destroyAt: record.deletion.destroyAt }
      : null,
    usage: { ...record.usage },
    publicJwk: record.publicJwk ? { ...record.publicJwk } : null,
    extractable: false,
    exportable: record.exportable,
    backup: record.backup === true,
    maxTokenLifetime: record.maxTokenLifetime,
  };
}
