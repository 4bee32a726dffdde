/**
 * `generateKey({ alg, purpose, label?, exportable?, …policy })`: create a non-extractable key
 * (or key pair) of a supported algorithm for one purpose, owned by the calling origin, and
 * store it. The policy (`../policy/`) validates the purpose and policy options and takes one
 * key creation from the rate limit.
 *
 * The key is generated non-extractable, except where it must be wrapped under the storage key
 * (an `exportable` secret key, or an algorithm this browser's IndexedDB cannot keep): then it
 * is generated extractable, wrapped at once, re-imported non-extractable, and the extractable
 * handle is dropped.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { KeyInfo } from '@strongroom/bridge/protocol';
import {
  addNewKey,
  describePublic,
  fromExtractable,
  type PublicMaterial,
  type StoredMaterial,
} from '../keystore/material';
import type { Keystore } from '../keystore/store';
import { type AlgorithmSpec, specOf } from '../lib/algorithms';
import { generateKeyRetrying } from '../lib/generate';
import { assertArity, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';
import { POLICY_FIELDS } from '../policy/key-options';

/** Fresh material of `spec` (also used by `rotateKey`). */
export async function generate(
  keystore: Keystore,
  spec: AlgorithmSpec,
  keep: { readonly exportable: boolean; readonly backup: boolean },
): Promise<StoredMaterial & PublicMaterial> {
  const { exportable } = keep;
  // A key that may be backed up keeps its material wrapped at rest, as vault mode does.
  const atRest = (await keystore.needsWrapAtRest(spec.alg)) || keep.backup;
  const wrap = exportable || atRest;
  let generated: CryptoKeyPair | CryptoKey;
  try {
    // Retried: WebKitGTK fails a generation it otherwise supports now and then.
    generated = await generateKeyRetrying(spec.generateParams, wrap, spec.generateUsages);
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : 'Error';
    throw new StrongroomError(
      'UNSUPPORTED_ALGORITHM',
      `this browser cannot generate ${spec.alg} keys (${name})`,
      { cause },
    );
  }
  const secret = 'privateKey' in generated ? generated.privateKey : generated;
  const stored: StoredMaterial = wrap
    ? await fromExtractable(keystore, spec, secret, { exportable, atRest })
    : { key: secret, exportMaterial: null, atRest: null };
  const pub: PublicMaterial =
    'privateKey' in generated
      ? await describePublic(spec, generated.publicKey)
      : { publicKey: null, publicJwk: null, kid: null };
  return { ...stored, ...pub };
}

/** The `generateKey` operation. */
export async function generateKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [options] = args;
  assertPlainObject(options, 'options', [
    'alg',
    'purpose',
    'label',
    'exportable',
    'backup',
    ...POLICY_FIELDS,
  ]);
  const spec = specOf(options.alg, 'options.alg');
  const keyOptions = await call.newKey(spec, options, 'options', { source: 'generated' });
  const keystore = call.ctx.keystore();
  const material = await generate(keystore, spec, keyOptions);
  return call.describe(await addNewKey(keystore, spec, material, keyOptions));
}
