/**
 * `agree(keyId, peerPublicJwk, { info, salt?, alg, purpose?, label? })`: ECDH between an
 * `agree` key (`X25519` or `ECDH-ES`, P-256) of the caller and a peer's public key, then
 * HKDF-SHA-256 (RFC 5869) into a new non-extractable `A256GCM` or `A256KW` key kept in the
 * enclave, for `seal` (default) or `wrap`, with provenance `derived`; returns its
 * description. A derived key is page-knowable (the peer may be the page itself), so the
 * policy never lets it export keys or import key pairs. The shared secret is never returned. Both sides of a pair (in enclaves or
 * elsewhere) that use the same `info` and `salt` derive the same key.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { type AgreedKeyAlgorithm, type KeyInfo, LIMITS } from '@strongroom/bridge/protocol';
import { addNewKey, fromExtractable } from '../keystore/material';
import { algorithm } from '../lib/algorithms';
import { utf8 } from '../lib/encoding';
import { agreeAndDerive } from '../lib/hkdf';
import { assertPublicJwk, importPublic } from '../lib/public-jwk';
import {
  assertArity,
  assertBytes,
  assertKeyId,
  assertOneOf,
  assertPlainObject,
  assertString,
} from '../lib/validate';
import type { Call } from '../policy/index';

const OUTPUTS: readonly AgreedKeyAlgorithm[] = ['A256GCM', 'A256KW'];
const PURPOSES: readonly ('seal' | 'wrap')[] = ['seal', 'wrap'];

/** The `agree` operation. */
export async function agree(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 3, 3);
  const [keyId, peerPublicJwk, options] = args;
  assertKeyId(keyId);
  assertPublicJwk(peerPublicJwk, 'peerPublicJwk');
  assertPlainObject(options, 'options', ['info', 'salt', 'alg', 'purpose', 'label']);
  const { info, salt = new Uint8Array(0), alg, purpose = 'seal', label = '' } = options;
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
  assertOneOf(purpose, 'options.purpose', PURPOSES);
  const out = algorithm(alg);

  const keystore = call.ctx.keystore();
  const record = await call.use(keyId);
  const keyOptions = await call.newKey(out, { purpose, label }, 'options', {
    source: 'derived',
    from: { keyId: record.id, source: record.provenance.source },
  });
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
  const created = await addNewKey(
    keystore,
    out,
    { ...stored, publicKey: null, publicJwk: null, kid: null },
    keyOptions,
  );
  return call.describe(created);
}
