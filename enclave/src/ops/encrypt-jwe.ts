/**
 * `encryptJwe(recipientPublicJwk, plaintext)`: a compact JWE (RFC 7516) to a P-256 or X25519
 * public key, with `ECDH-ES+A256KW` and `A256GCM` (RFC 7518 §4.6, §5.3), built with `jose`.
 * The recipient's `kid`, if it has one, goes in the header. No key of the enclave is used.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { CompactEncrypt } from 'jose';
import { assertPublicJwk, importPublic, specForPublicJwk } from '../lib/public-jwk';
import { assertArity, assertBytes } from '../lib/validate';
import type { Call } from '../policy/index';

/** The JWE algorithms Strongroom produces and accepts. */
export const JWE_ALG = 'ECDH-ES+A256KW';
export const JWE_ENC = 'A256GCM';

/** The `encryptJwe` operation. */
export async function encryptJwe(_call: Call, args: unknown[]): Promise<string> {
  assertArity(args, 2, 2);
  const [recipientPublicJwk, plaintext] = args;
  assertPublicJwk(recipientPublicJwk, 'recipientPublicJwk');
  assertBytes(plaintext, 'plaintext', LIMITS.maxJwePlaintextBytes);
  // A key meant for something else (an ES256 signing key, `use: "sig"`) is not an encryption
  // key, even where the curve is the same: one key, one purpose.
  const { alg, use } = recipientPublicJwk as { alg?: unknown; use?: unknown };
  if (use !== undefined && use !== 'enc') {
    throw new StrongroomError('INVALID_ARGUMENT', '"recipientPublicJwk.use" must be "enc"');
  }
  if (alg !== undefined && alg !== JWE_ALG) {
    throw new StrongroomError(
      'UNSUPPORTED_ALGORITHM',
      `"recipientPublicJwk.alg" must be absent or "${JWE_ALG}"`,
    );
  }
  const spec = specForPublicJwk(recipientPublicJwk, 'jwe');
  const key = await importPublic(spec, recipientPublicJwk, 'recipientPublicJwk');
  const { kid } = recipientPublicJwk;
  try {
    return await new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: JWE_ALG, enc: JWE_ENC, ...(kid ? { kid } : {}) })
      .encrypt(key);
  } catch (cause) {
    throw new StrongroomError('INVALID_ARGUMENT', '"recipientPublicJwk" was rejected', { cause });
  }
}
