/**
 * The operation table: every operation the key worker exposes, bound to one channel's
 * context, as a frozen object with a null prototype (so no path through `__proto__`,
 * `constructor` or `prototype` leads anywhere).
 */
import { OPERATION_NAMES, type OperationName } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { deleteKey } from './delete-key';
import { generateKey } from './generate-key';
import { getKey } from './get-key';
import { info } from './info';
import { listKeys } from './list-keys';
import { publicKey } from './public-key';
import { sign } from './sign';
import { verify } from './verify';

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
