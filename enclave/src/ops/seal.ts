/**
 * `seal(kekId, plaintext, { aad? })`: envelope encryption with a `seal` key's primary version
 * (the envelope names the version). A fresh random AES-256-GCM DEK per
 * message encrypts the plaintext; the DEK is wrapped under the KEK (`A256KW`: RFC 3394;
 * `A256GCM`: AES-GCM with the header as AAD) and dropped. The result is a self-describing
 * version 1 envelope (see `lib/envelope.ts`, docs/formats.md), transferred back to the caller.
 */
import { LIMITS } from '@strongroom/bridge/protocol';
import { transfer } from 'comlink';
import { algorithm } from '../lib/algorithms';
import { concat, encodeHeader, encodePrefix, GCM_IV_BYTES } from '../lib/envelope';
import { assertArity, assertBytes, assertKeyId, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';

const DEK_PARAMS: AesKeyGenParams = { name: 'AES-GCM', length: 256 };

/** Wrap a DEK under a KEK record's mechanism; the A256GCM form binds `header`. */
export async function wrapDek(
  kek: CryptoKey,
  mechanism: 'AES-KW' | 'AES-GCM',
  dek: CryptoKey,
  header: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (mechanism === 'AES-KW') {
    return new Uint8Array(await crypto.subtle.wrapKey('raw', dek, kek, 'AES-KW'));
  }
  const iv = crypto.getRandomValues(new Uint8Array(GCM_IV_BYTES));
  const wrapped = await crypto.subtle.wrapKey('raw', dek, kek, {
    name: 'AES-GCM',
    iv,
    additionalData: header,
  });
  return concat(iv, new Uint8Array(wrapped));
}

/** The `seal` operation. */
export async function seal(call: Call, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 2, 3);
  const [kekId, plaintext, options = {}] = args;
  assertKeyId(kekId, 'kekId');
  assertBytes(plaintext, 'plaintext', LIMITS.maxSealBytes);
  assertPlainObject(options, 'options', ['aad']);
  const { aad = new Uint8Array(0) } = options;
  assertBytes(aad, 'options.aad', LIMITS.maxAadBytes);
  const record = await call.use(kekId);
  const kek = algorithm(record.alg).kek;
  if (!kek) throw new Error('seal capability without a KEK mechanism');

  const header = encodeHeader({
    mechanism: kek.id,
    keyId: record.id,
    keyVersion: record.version,
  });
  // The DEK must be extractable to be wrapped; it lives only in this call.
  const dek = await crypto.subtle.generateKey(DEK_PARAMS, true, ['encrypt']);
  const wrappedKey = await wrapDek(record.key, kek.name, dek, header);
  const iv = crypto.getRandomValues(new Uint8Array(GCM_IV_BYTES));
  const prefix = encodePrefix(header, wrappedKey, iv);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: concat(prefix, aad) },
    dek,
    plaintext,
  );
  const envelope = concat(prefix, new Uint8Array(ciphertext));
  return transfer(envelope, [envelope.buffer]);
}
