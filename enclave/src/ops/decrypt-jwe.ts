/**
 * `decryptJwe(keyId, jwe)`: decrypt a compact JWE made for an `X25519` or `ECDH-ES` (P-256)
 * key of the caller, with `ECDH-ES+A256KW` and `A256GCM` only (no other algorithms, no `zip`,
 * no `crit`), using `jose` over the non-extractable private key. A JWE whose header names
 * another `kid`, and any failure to decrypt, give one opaque `DECRYPTION_FAILED`.
 */
import { DECRYPTION_FAILED_MESSAGE, StrongroomError } from '@strongroom/bridge/errors';
import { type DecryptJweResult, type JsonObject, LIMITS } from '@strongroom/bridge/protocol';
import { transfer } from 'comlink';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { allVersions } from '../keystore/versions';
import { toBuffer } from '../lib/encoding';
import { assertArity, assertKeyId, assertString } from '../lib/validate';
import type { Call } from '../policy/index';
import { JWE_ALG, JWE_ENC } from './encrypt-jwe';

/** The `kid` of a compact JWE's protected header; `undefined` if absent or unreadable. */
function headerKid(jwe: string): string | undefined {
  try {
    const header = decodeProtectedHeader(jwe);
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** The `decryptJwe` operation. */
export async function decryptJwe(call: Call, args: unknown[]): Promise<DecryptJweResult> {
  assertArity(args, 2, 2);
  const [keyId, jwe] = args;
  assertKeyId(keyId);
  assertString(jwe, 'jwe', LIMITS.maxJweLength);
  const record = await call.use(keyId);
  // The version the header's `kid` names (retired versions still decrypt); without a `kid`,
  // each version in turn (a wrong key fails authentication and reveals nothing).
  const kid = headerKid(jwe);
  const candidates = allVersions(record).filter((v) => kid === undefined || v.kid === kid);
  let result: Awaited<ReturnType<typeof compactDecrypt>> | null = null;
  for (const version of candidates) {
    try {
      result = await compactDecrypt(jwe, version.key, {
        keyManagementAlgorithms: [JWE_ALG],
        contentEncryptionAlgorithms: [JWE_ENC],
      });
      break;
    } catch {
      // Try the next version.
    }
  }
  if (!result || result.protectedHeader.kid !== kid) {
    throw new StrongroomError('DECRYPTION_FAILED', DECRYPTION_FAILED_MESSAGE);
  }
  const plaintext = toBuffer(result.plaintext);
  const answer: DecryptJweResult = {
    plaintext,
    protectedHeader: JSON.parse(JSON.stringify(result.protectedHeader)) as JsonObject,
  };
  return transfer(answer, [plaintext.buffer]);
}
