/**
 * `wrapKey(kekId, keyId)`: export a key wrapped under a `wrap` KEK of the caller that was
 * generated in this enclave (a page-knowable KEK would let the page unwrap the output itself;
 * `../policy/provenance.ts`). Only keys created `exportable` (opt-in at creation; secret keys
 * only) can leave, only their primary version, and only wrapped: their
 * material is unwrapped from where it is kept at rest (storage key, or vault) into a transient extractable `CryptoKey` and
 * rewrapped at once, so the raw bytes never enter JS. Any other key: `OPERATION_NOT_ALLOWED`.
 *
 * Formats (docs/formats.md): under `A256KW` exactly RFC 3394; under `A256GCM` the version 1
 * form `0x01 ‖ IV ‖ ciphertext ‖ tag` with the AAD of `lib/wrapped-key.ts`.
 */
import { algorithm } from '../lib/algorithms';
import { GCM_IV_BYTES } from '../lib/envelope';
import { assertArity, assertKeyId } from '../lib/validate';
import { encodeGcmWrapped, wrappedKeyAad } from '../lib/wrapped-key';
import type { Call } from '../policy/index';

/** The `wrapKey` operation. */
export async function wrapKey(call: Call, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 2, 2);
  const [kekId, keyId] = args;
  assertKeyId(kekId, 'kekId');
  assertKeyId(keyId, 'keyId');
  const keystore = call.ctx.keystore();
  const kekRecord = await call.use(kekId);
  const target = await call.exportTarget(keyId, kekRecord);
  if (!target.exportMaterial) throw new Error('exportable key without export material');
  const kek = algorithm(kekRecord.alg).kek;
  if (!kek) throw new Error('wrap capability without a KEK mechanism');
  const spec = algorithm(target.alg);
  const transient = await keystore.unwrapAtRest(
    target.atRestKey,
    spec,
    target.exportMaterial,
    true,
  );
  let out: Uint8Array;
  if (kek.name === 'AES-KW') {
    out = new Uint8Array(
      await crypto.subtle.wrapKey(spec.materialFormat, transient, kekRecord.key, 'AES-KW'),
    );
  } else {
    const iv = crypto.getRandomValues(new Uint8Array(GCM_IV_BYTES));
    const ciphertext = await crypto.subtle.wrapKey(spec.materialFormat, transient, kekRecord.key, {
      name: 'AES-GCM',
      iv,
      additionalData: wrappedKeyAad(spec.alg),
    });
    out = encodeGcmWrapped(iv, new Uint8Array(ciphertext));
  }
  await call.exported(out, target);
  return out;
}
