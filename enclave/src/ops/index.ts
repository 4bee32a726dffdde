/**
 * The operation table: every operation the key worker exposes, bound to one channel's
 * context, as a frozen object with a null prototype (so no path through `__proto__`,
 * `constructor` or `prototype` leads anywhere).
 */
import { OPERATION_NAMES, type OperationName } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { agree } from './agree';
import { decryptJwe } from './decrypt-jwe';
import { deleteKey } from './delete-key';
import { encryptJwe } from './encrypt-jwe';
import { generateKey } from './generate-key';
import { getKey } from './get-key';
import { info } from './info';
import { listKeys } from './list-keys';
import { open } from './open';
import { publicKey } from './public-key';
import { seal } from './seal';
import { sign } from './sign';
import { signJwt } from './sign-jwt';
import { unwrapKey } from './unwrap-key';
import { vapidAuth } from './vapid-auth';
import { verify } from './verify';
import { wrapKey } from './wrap-key';

/** An operation: validates its own arguments, which are untrusted. */
export type Operation = (ctx: OpContext, args: unknown[]) => Promise<unknown>;

const OPERATIONS: { readonly [K in OperationName]: Operation } = {
  info,
  generateKey,
  listKeys,
  getKey,
  publicKey,
  sign,
  verify,
  deleteKey,
  signJwt,
  vapidAuth,
  seal,
  open,
  wrapKey,
  unwrapKey,
  agree,
  encryptJwe,
  decryptJwe,
};

/** The exposed API object: `api[name](...args)` runs the operation in `ctx`. */
export type ExposedApi = Readonly<Record<OperationName, (...args: unknown[]) => Promise<unknown>>>;

/** Build the frozen, null-prototype API object for one channel. */
export function createApi(ctx: OpContext): ExposedApi {
  const api = Object.create(null) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of OPERATION_NAMES) {
    const op = OPERATIONS[name];
    // Each entry is an arrow function: no `prototype`, no `this`, one level deep.
    api[name] = (...args: unknown[]) => op(ctx, args);
  }
  return Object.freeze(api) as ExposedApi;
}
