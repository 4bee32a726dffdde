/**
 * The versions of a loaded key record: the primary (which creates) and the retired ones
 * (which only verify, open, unwrap and decrypt), newest first.
 */
import type { KeyRecord } from './schema';

/** One version's material. */
export interface VersionMaterial {
  readonly version: number;
  readonly kid: string;
  readonly key: CryptoKey;
  readonly publicKey: CryptoKey | null;
}

/** Every version of a record, the primary first. */
export function allVersions(record: KeyRecord): VersionMaterial[] {
  return [
    { version: record.version, kid: record.kid, key: record.key, publicKey: record.publicKey },
    ...record.retired,
  ];
}

/** The version numbered `version`, or `null`. */
export function versionOf(record: KeyRecord, version: number): VersionMaterial | null {
  return allVersions(record).find((v) => v.version === version) ?? null;
}
