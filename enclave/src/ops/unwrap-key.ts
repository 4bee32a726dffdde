/**
 * `unwrapKey(kekId, wrapped, { alg, purpose, label?, exportable?, …policy })`: import a key
 * wrapped under a `wrap` KEK of the caller into the enclave, as a new non-extractable key of
 * the caller with provenance `imported`; returns its description. Key material never goes
 * back to the app. The policy refuses key pairs under a page-knowable KEK and a key that
 * `wrapKey` exported under another algorithm or purpose. Every version of the KEK is tried
 * (AES-KW and AES-GCM authenticate: a wrong version fails cleanly).
 *
 * Under an `A256KW` KEK, `wrapped` is RFC 3394 output over a raw secret (`A256GCM`, `A256KW`,
 * `HS256`); under an `A256GCM` KEK, the version 1 form of `lib/wrapped-key.ts` over a raw
 * secret or a PKCS #8 private key (`ES256`, `EdDSA`, `X25519`, `ECDH-ES`). A wrong KEK or any
 * change to `wrapped` gives `DECRYPTION_FAILED`.
 */
import { DECRYPTION_FAILED_MESSAGE, StrongroomError } from '@strongroom/bridge/errors';
import { type KeyInfo, LIMITS } from '@strongroom/bridge/protocol';
import {
  addNewKey,
  describePublic,
  fromExtractable,
  type PublicMaterial,
  type StoredMaterial,
} from '../keystore/material';
import type { Keystore } from '../keystore/store';
import { allVersions } from '../keystore/versions';
import { type AlgorithmSpec, algorithm, specOf } from '../lib/algorithms';
import { assertArity, assertBytes, assertKeyId, assertPlainObject } from '../lib/validate';
import { parseGcmWrapped, wrappedKeyAad } from '../lib/wrapped-key';
import type { Call } from '../policy/index';
import { POLICY_FIELDS } from '../policy/key-options';

function failed(cause?: unknown): StrongroomError {
  return new StrongroomError('DECRYPTION_FAILED', DECRYPTION_FAILED_MESSAGE, { cause });
}

/** Unwrap into a CryptoKey of `spec` (extractable only when it must be rewrapped). */
async function unwrapWith(
  kekRecordKey: CryptoKey,
  mechanism: 'AES-KW' | 'AES-GCM',
  spec: AlgorithmSpec,
  wrapped: Uint8Array<ArrayBuffer>,
  extractable: boolean,
): Promise<CryptoKey> {
  if (mechanism === 'AES-KW') {
    const bytes = wrapped.length - 8;
    if (spec.kind !== 'secret') {
      throw new StrongroomError(
        'UNSUPPORTED_ALGORITHM',
        'an A256KW KEK unwraps secret keys only; wrap key pairs under an A256GCM KEK',
      );
    }
    if (!spec.secretBytes || bytes % 8 !== 0 || bytes < spec.secretBytes.min) throw failed();
    if (bytes > spec.secretBytes.max) throw failed();
    try {
      return await crypto.subtle.unwrapKey(
        'raw',
        wrapped,
        kekRecordKey,
        'AES-KW',
        spec.importParams,
        extractable,
        [...spec.keyUsages],
      );
    } catch (cause) {
      throw failed(cause);
    }
  }
  const parsed = parseGcmWrapped(wrapped);
  if (!parsed) throw failed();
  try {
    return await crypto.subtle.unwrapKey(
      spec.materialFormat,
      parsed.ciphertext,
      kekRecordKey,
      { name: 'AES-GCM', iv: parsed.iv, additionalData: wrappedKeyAad(spec.alg) },
      spec.importParams,
      extractable,
      [...spec.keyUsages],
    );
  } catch (cause) {
    throw failed(cause);
  }
}

/** Check the length of an unwrapped secret against the algorithm's bounds. */
function assertSecretLength(spec: AlgorithmSpec, key: CryptoKey): void {
  const bits = (key.algorithm as { length?: number }).length;
  const bounds = spec.secretBytes;
  if (!bounds || typeof bits !== 'number' || bits % 8 !== 0) throw failed();
  if (bits / 8 < bounds.min || bits / 8 > bounds.max) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `a ${spec.alg} key has ${bounds.min === bounds.max ? bounds.min : `${bounds.min}–${bounds.max}`} bytes`,
    );
  }
}

/** Public half and non-extractable private half of an unwrapped (extractable) private key. */
async function finishPair(
  keystore: Keystore,
  spec: AlgorithmSpec,
  transient: CryptoKey,
  backup: boolean,
): Promise<StoredMaterial & PublicMaterial> {
  const jwk = await crypto.subtle.exportKey('jwk', transient);
  const publicJwk: JsonWebKey = {};
  for (const name of spec.thumbprintMembers ?? []) {
    (publicJwk as Record<string, unknown>)[name] = (jwk as Record<string, unknown>)[name];
  }
  // The private `d` exists as a JS string only here; strings cannot be zeroed.
  jwk.d = undefined;
  if (!spec.importPublicParams) throw new Error('pair without public import parameters');
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { ...publicJwk, ext: true },
    spec.importPublicParams,
    true,
    [...(spec.publicUsages ?? [])],
  );
  // Where IndexedDB cannot keep this key type, wrap it under the storage key (AES-KW); else
  // re-import the PKCS #8 bytes non-extractable and zero them.
  const stored =
    (await keystore.needsWrapAtRest(spec.alg)) || backup
      ? await fromExtractable(keystore, spec, transient, { exportable: false, atRest: true })
      : await reimport(spec, transient);
  return { ...stored, ...(await describePublic(spec, publicKey)) };
}

/** A non-extractable copy of an extractable private key, via its PKCS #8 bytes (zeroed). */
async function reimport(spec: AlgorithmSpec, transient: CryptoKey): Promise<StoredMaterial> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', transient));
  try {
    const key = await crypto.subtle.importKey('pkcs8', pkcs8, spec.importParams, false, [
      ...spec.keyUsages,
    ]);
    return { key, exportMaterial: null, atRest: null };
  } finally {
    pkcs8.fill(0);
  }
}

/** The `unwrapKey` operation. */
export async function unwrapKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 3, 3);
  const [kekId, wrapped, options] = args;
  assertKeyId(kekId, 'kekId');
  assertBytes(wrapped, 'wrapped', LIMITS.maxWrappedKeyBytes);
  assertPlainObject(options, 'options', [
    'alg',
    'purpose',
    'label',
    'exportable',
    'backup',
    ...POLICY_FIELDS,
  ]);
  const spec = specOf(options.alg, 'options.alg');
  const keystore = call.ctx.keystore();
  const kekRecord = await call.use(kekId);
  const kek = algorithm(kekRecord.alg).kek;
  if (!kek) throw new Error('wrap capability without a KEK mechanism');
  const keyOptions = await call.newKey(spec, options, 'options', {
    source: 'imported',
    from: { keyId: kekRecord.id, source: kekRecord.provenance.source },
  });
  await call.assertImport(kekRecord, spec, keyOptions, wrapped);

  /** Unwrap under each version of the KEK in turn, primary first. */
  const unwrapAny = async (extractable: boolean): Promise<CryptoKey> => {
    let last: unknown;
    for (const version of allVersions(kekRecord)) {
      try {
        return await unwrapWith(version.key, kek.name, spec, wrapped, extractable);
      } catch (err) {
        last = err;
        if (!(err instanceof StrongroomError) || err.code !== 'DECRYPTION_FAILED') throw err;
      }
    }
    throw last;
  };

  let material: StoredMaterial & PublicMaterial;
  if (spec.kind === 'pair') {
    const transient = await unwrapAny(true);
    material = await finishPair(keystore, spec, transient, keyOptions.backup);
  } else {
    const atRest = (await keystore.needsWrapAtRest(spec.alg)) || keyOptions.backup;
    const rewrap = keyOptions.exportable || atRest;
    const key = await unwrapAny(rewrap);
    assertSecretLength(spec, key);
    const stored = rewrap
      ? await fromExtractable(keystore, spec, key, { exportable: keyOptions.exportable, atRest })
      : { key, exportMaterial: null, atRest: null };
    material = { ...stored, publicKey: null, publicJwk: null, kid: null };
  }
  await call.approveImport(spec, keyOptions);
  return call.describe(await addNewKey(keystore, spec, material, keyOptions));
}
