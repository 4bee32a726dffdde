/**
 * `decryptJwe(keyId, jwe)`: decrypt a compact JWE made for an `X25519` or `ECDH-ES` (P-256)
 * key of the caller, with `ECDH-ES+A256KW` and `A256GCM` only (no other algorithms, no `zip`,
 * no `crit`), using `jose` over the non-extractable private key. A JWE whose header names
 * another `kid`, and any failure to decrypt, give one opaque `DECRYPTION_FAILED`.
 */
import { DECRYPTION_FAILED_MESSAGE, StrongroomError } from '@strongroom/bridge/errors';
import { type DecryptJweResult, type JsonObject, LIMITS } from '@strongroom/bridge/protocol';
import { transfer } from 'comlink';
import { compactDecrypt } from 'jose';
import type { OpContext } from '../context';
import { toBuffer } from '../lib/encoding';
import { assertArity, assertKeyId, assertString } from '../lib/validate';
import { JWE_ALG, JWE_ENC } from './encrypt-jwe';
import { READ, usableKey } from './usable-key';

/** The `decryptJwe` operation. */
export async function decryptJwe(ctx: OpContext, args: unknown[]): Promise<DecryptJweResult> {
  assertArity(args, 2, 2);
  const [keyId, jwe] = args;
  assertKeyId(keyId);
  assertString(jwe, 'jwe', LIMITS.maxJweLength);
  const record = await usableKey(ctx, keyId, 'jwe', READ, 'decrypt JWEs');
  let result: Awaited<ReturnType<typeof compactDecrypt>>;
  try {
    result = await compactDecrypt(jwe, record.key, {
      keyManagementAlgorithms: [JWE_ALG],
      contentEncryptionAlgorithms: [JWE_ENC],
    });
  } catch {
    throw new StrongroomError('DECRYPTION_FAILED', DECRYPTION_FAILED_MESSAGE);
  }
  const { kid } = result.protectedHeader;
  if (kid !== undefined && kid !== record.kid) {
    throw new StrongroomError('DECRYPTION_FAILED', DECRYPTION_FAILED_MESSAGE);
  }
  ctx.keystore().recordUse(record);
  const plaintext = toBuffer(result.plaintext);
  const answer: DecryptJweResult = {
    plaintext,
    protectedHeader: JSON.parse(JSON.stringify(result.protectedHeader)) as JsonObject,
  };
  return transfer(answer, [plaintext.buffer]);
}
