/**
 * `rotateKey(keyId)`: a new version of the key, generated in the enclave, becomes primary
 * under the same `id`; the older versions are retired: they still verify, open, unwrap and
 * decrypt, and their public keys stay listed. Envelopes name the version that sealed them;
 * tokens carry the new version's `kid`. Only `active` keys generated in the enclave rotate.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { toStored } from '../keystore/store';
import { algorithm } from '../lib/algorithms';
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';
import { assertRotatable, rotate } from '../policy/lifecycle';
import { generate } from './generate-key';

/** The `rotateKey` operation. */
export async function rotateKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  const record = await call.read(keyId);
  assertRotatable(record);
  await call.creating();
  const spec = algorithm(record.alg);
  const material = await generate(call.ctx.keystore(), spec, {
    exportable: record.exportable,
    backup: record.backup === true,
  });
  // The new version as the record stores it (material kept at rest is stored wrapped only).
  const stored = toStored({
    ...record,
    key: material.key,
    publicKey: material.publicKey,
    atRest: material.atRest,
    retired: [],
  });
  return call.change(keyId, (current, now) =>
    rotate(
      current,
      {
        kid: material.kid ?? current.id,
        key: stored.key,
        publicKey: stored.publicKey,
        publicJwk: material.publicJwk,
        exportMaterial: material.exportMaterial,
        atRest: material.atRest,
        atRestKey: material.atRest || material.exportMaterial ? material.atRestKey : undefined,
      },
      now,
    ),
  );
}
