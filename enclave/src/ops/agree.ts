/**
 * `agree(keyId, peerPublicJwk, { info, salt?, alg, label? })`: ECDH between an `X25519` or
 * `ECDH-ES` (P-256) key of the caller and a peer's public key, then HKDF-SHA-256 (RFC 5869)
 * into a new non-extractable `A256GCM` or `A256KW` key kept in the enclave; returns its
 * description. The shared secret is never returned. Both sides of a pair (in enclaves or
 * elsewhere) that use the same `info` and `salt` derive the same key.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { type AgreedKeyAlgorithm, type KeyInfo, LIMITS } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { addNewKey, fromExtractable } from '../keystore/material';
import { algorithm } from '../lib/algorithms';
import { utf8 } from '../lib/encoding';
import { agreeAndDerive } from '../lib/hkdf';
import { newKeyOptions } from '../lib/key-options';
import { assertPublicJwk, importPublic } from '../lib/public-jwk';
import {
  assertArity,
  assertBytes,
  assertKeyId,
  assertOneOf,
  assertPlainObject,
  assertString,
} from '../lib/validate';
import { toKeyInfo } from './key-info';
import { CREATE, usableKey } from './usable-key';

const OUTPUTS: readonly AgreedKeyAlgorithm[] = ['A256GCM', 'A256KW'];

/** The `agree` operation. */
export async function agree(ctx: OpContext, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 3, 3);
  const [keyId, peerPublicJwk, options] = args;
  assertKeyId(keyId);
  assertPublicJwk(peerPublicJwk, 'peerPublicJwk');
  assertPlainObject(options, 'options', ['info', 'salt', 'alg', 'label']);
  const { info, salt = new Uint8Array(0), alg, label = '' } = options;
  let infoBytes: Uint8Array<ArrayBuffer>;
  if (typeof info === 'string') {
    assertString(info, 'options.info', LIMITS.maxHkdfInputBytes);
    infoBytes = utf8(info);
  } else {
    assertBytes(info, 'options.info', LIMITS.maxHkdfInputBytes);
    infoBytes = info;
  }
  if (infoBytes.byteLength > LIMITS.maxHkdfInputBytes) {
    throw new StrongroomError('PAYLOAD_TOO_LARGE', `"options.info" is too large`);
  }
  assertBytes(salt, 'options.salt', LIMITS.maxHkdfInputBytes);
  assertOneOf(alg, 'options.alg', OUTPUTS);
  const out = algorithm(alg);
  const keyOptions = newKeyOptions(out, { label }, 'options');

  const keystore = ctx.keystore();
  const record = await usableKey(ctx, keyId, 'agree', CREATE, 'agree');
  const spec = algorithm(record.alg);
  const peer = await importPublic(spec, peerPublicJwk, 'peerPublicJwk');
  const atRest = await keystore.needsWrapAtRest(out.alg);
  const derived = await agreeAndDerive({
    ours: record.key,
    oursSpec: spec,
    peer,
    salt,
    info: infoBytes,
    out,
    extractable: atRest,
  });
  const stored = atRest
    ? await fromExtractable(keystore, out, derived, { exportable: false, atRest })
    : { key: derived, exportMaterial: null, atRest: null };
  keystore.recordUse(record);
  const created = await addNewKey(
    keystore,
    out,
    { ...stored, publicKey: null, publicJwk: null, kid: null },
    keyOptions,
  );
  return toKeyInfo(created);
}
