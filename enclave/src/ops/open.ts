/**
 * `open(envelope, { aad?, keyId? })`: decrypt a `seal` envelope. Whatever goes wrong once the
 * arguments are well-typed — a flipped bit anywhere, a wrong AAD, a wrong, unknown, revoked or
 * other origin's key, a malformed envelope — the answer is one opaque `DECRYPTION_FAILED`, so
 * that the failure tells an attacker nothing. The plaintext is transferred back.
 */
import { DECRYPTION_FAILED_MESSAGE, StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { transfer } from 'comlink';
import { versionOf } from '../keystore/versions';
import { algorithm } from '../lib/algorithms';
import { concat, type ParsedEnvelope, parseEnvelope } from '../lib/envelope';
import { assertArity, assertBytes, assertKeyId, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';

const DEK_PARAMS: AesKeyAlgorithm = { name: 'AES-GCM', length: 256 };

/** Unwrap the DEK of a parsed envelope with a KEK record's mechanism. */
async function unwrapDek(
  kek: CryptoKey,
  mechanism: 'AES-KW' | 'AES-GCM',
  parsed: ParsedEnvelope,
): Promise<CryptoKey> {
  if (mechanism === 'AES-KW') {
    return crypto.subtle.unwrapKey('raw', parsed.wrappedKey, kek, 'AES-KW', DEK_PARAMS, false, [
      'decrypt',
    ]);
  }
  const iv = parsed.wrappedKey.subarray(0, 12);
  const wrapped = parsed.wrappedKey.subarray(12);
  return crypto.subtle.unwrapKey(
    'raw',
    wrapped,
    kek,
    { name: 'AES-GCM', iv, additionalData: parsed.header },
    DEK_PARAMS,
    false,
    ['decrypt'],
  );
}

function failed(): StrongroomError {
  return new StrongroomError('DECRYPTION_FAILED', DECRYPTION_FAILED_MESSAGE);
}

const PASSED_THROUGH: ReadonlySet<StrongroomError['code']> = new Set([
  'STORAGE_UNAVAILABLE',
  'RATE_LIMITED',
  'LOCKED',
  'CONSENT_DECLINED',
  'CONSENT_TIMEOUT',
  'CONSENT_NOT_VISIBLE',
]);

/** The `open` operation. */
export async function open(call: Call, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 1, 2);
  const [envelope, options = {}] = args;
  assertBytes(envelope, 'envelope', LIMITS.maxSealBytes + 1024);
  assertPlainObject(options, 'options', ['aad', 'keyId']);
  const { aad = new Uint8Array(0), keyId } = options;
  assertBytes(aad, 'options.aad', LIMITS.maxAadBytes);
  if (keyId !== undefined) assertKeyId(keyId, 'options.keyId');
  try {
    const parsed = parseEnvelope(envelope);
    if (!parsed) throw failed();
    const record = await call.use(keyId ?? parsed.keyId);
    const kek = algorithm(record.alg).kek;
    if (!kek || kek.id !== parsed.mechanism) throw failed();
    // The version the envelope names (retired versions still open). An explicit `keyId` (the
    // peer's side of an agreed key) opens with that key's version of the same number.
    const version = versionOf(record, parsed.keyVersion);
    if (!version) throw failed();
    const dek = await unwrapDek(version.key, kek.name, parsed);
    const plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: parsed.iv, additionalData: concat(parsed.prefix, aad) },
        dek,
        parsed.ciphertext,
      ),
    );
    return transfer(plaintext, [plaintext.buffer]);
  } catch (err) {
    // Refusals that say nothing about the envelope say what they are (storage, rate limit, a
    // locked vault, the person's answer); everything else is one opaque answer.
    if (err instanceof StrongroomError && PASSED_THROUGH.has(err.code)) throw err;
    throw failed();
  }
}
