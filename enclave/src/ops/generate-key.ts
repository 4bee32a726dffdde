/**
 * `generateKey({ alg, label? })`: create a non-extractable key (or key pair) of a supported
 * algorithm, owned by the calling origin, and store it.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { type KeyInfo, LIMITS, type PublicJwk } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import type { KeyRecord } from '../keystore/schema';
import { type AlgorithmSpec, algorithm, isKeyAlgorithm } from '../lib/algorithms';
import { randomId } from '../lib/encoding';
import { jwkThumbprint } from '../lib/thumbprint';
import { assertArity, assertPlainObject, assertString } from '../lib/validate';
import { toKeyInfo } from './key-info';

/** Keep only the members that describe a public key: no `key_ops`, `ext` or anything else. */
function publicMembers(jwk: JsonWebKey, members: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of members) {
    const value = (jwk as Record<string, unknown>)[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

async function generate(spec: AlgorithmSpec): Promise<{
  key: CryptoKey;
  publicKey: CryptoKey | null;
  publicJwk: PublicJwk | null;
  kid: string | null;
}> {
  const generated = await crypto.subtle.generateKey(spec.generateParams, false, [
    ...spec.generateUsages,
  ]);
  if ('privateKey' in generated) {
    const members = spec.thumbprintMembers ?? [];
    const exported = await crypto.subtle.exportKey('jwk', generated.publicKey);
    const kid = await jwkThumbprint(exported, members);
    const publicJwk: PublicJwk = {
      ...publicMembers(exported, members),
      kid,
      ...(spec.jwkAlg ? { alg: spec.jwkAlg } : {}),
    };
    return { key: generated.privateKey, publicKey: generated.publicKey, publicJwk, kid };
  }
  return { key: generated, publicKey: null, publicJwk: null, kid: null };
}

/** The `generateKey` operation. */
export async function generateKey(ctx: OpContext, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [options] = args;
  assertPlainObject(options, 'options', ['alg', 'label']);
  const { alg, label = '' } = options;
  if (!isKeyAlgorithm(alg)) {
    throw new StrongroomError(
      'UNSUPPORTED_ALGORITHM',
      `"options.alg" is not a supported algorithm`,
    );
  }
  assertString(label, 'options.label', LIMITS.maxLabelLength);
  const keystore = ctx.keystore();

  const spec = algorithm(alg);
  let material: Awaited<ReturnType<typeof generate>>;
  try {
    material = await generate(spec);
  } catch (cause) {
    throw new StrongroomError('UNSUPPORTED_ALGORITHM', `this browser cannot generate ${alg} keys`, {
      cause,
    });
  }
  if (material.key.extractable) throw new StrongroomError('INTERNAL_ERROR', 'internal error');

  const id = randomId();
  const record: KeyRecord = {
    id,
    kid: material.kid ?? id,
    alg,
    label,
    owner: keystore.owner,
    createdAt: Date.now(),
    version: 1,
    state: 'active',
    usage: { count: 0, lastUsedAt: null },
    key: material.key,
    publicKey: material.publicKey,
    publicJwk: material.publicJwk,
  };
  await keystore.add(record);
  return toKeyInfo(record);
}
