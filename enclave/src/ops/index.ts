/**
 * The operation table: every operation the key worker exposes, bound to one channel's
 * policy, as a frozen object with a null prototype (so no path through `__proto__`,
 * `constructor` or `prototype` leads anywhere). Every entry runs through the one choke
 * point, `ChannelPolicy.enforce` (`../policy/index.ts`).
 */
import { OPERATION_NAMES, type OperationName } from '@strongroom/bridge/protocol';
import type { ChannelPolicy, Operation } from '../policy/index';
import { agree } from './agree';
import { applicationServerKey } from './application-server-key';
import { auditAnchor } from './audit-anchor';
import { auditLog } from './audit-log';
import { exportBackup, importBackup } from './backup';
import { cancelDeletion } from './cancel-deletion';
import { decryptJwe } from './decrypt-jwe';
import { deleteKey } from './delete-key';
import { destroyKey } from './destroy-key';
import { encryptJwe } from './encrypt-jwe';
import { generateKey } from './generate-key';
import { getKey } from './get-key';
import { info } from './info';
import { listKeys } from './list-keys';
import { open } from './open';
import { publicKey } from './public-key';
import { resetEnclave } from './reset-enclave';
import { restrictKey } from './restrict-key';
import { revokeKey } from './revoke-key';
import { rotateKey } from './rotate-key';
import { scheduleDeletion } from './schedule-deletion';
import { seal } from './seal';
import { sign } from './sign';
import { signJwt } from './sign-jwt';
import { unwrapKey } from './unwrap-key';
import { vapidAuth } from './vapid-auth';
import {
  addUnlockMethod,
  disableVault,
  enableVault,
  lock,
  removeUnlockMethod,
  unlock,
} from './vault';
import { verify } from './verify';
import { verifyAuditLog } from './verify-audit-log';
import { wrapKey } from './wrap-key';

const OPERATIONS: { readonly [K in OperationName]: Operation } = {
  info,
  generateKey,
  listKeys,
  getKey,
  publicKey,
  sign,
  verify,
  deleteKey,
  rotateKey,
  revokeKey,
  scheduleDeletion,
  cancelDeletion,
  restrictKey,
  destroyKey,
  resetEnclave,
  auditLog,
  verifyAuditLog,
  auditAnchor,
  signJwt,
  vapidAuth,
  applicationServerKey,
  seal,
  open,
  wrapKey,
  unwrapKey,
  agree,
  encryptJwe,
  decryptJwe,
  enableVault,
  disableVault,
  unlock,
  lock,
  addUnlockMethod,
  removeUnlockMethod,
  exportBackup,
  importBackup,
};

/** The exposed API object: `api[name](...args)` runs the operation in `ctx`. */
export type ExposedApi = Readonly<Record<OperationName, (...args: unknown[]) => Promise<unknown>>>;

/** Build the frozen, null-prototype API object for one channel. */
export function createApi(policy: ChannelPolicy): ExposedApi {
  const api = Object.create(null) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of OPERATION_NAMES) {
    const op = OPERATIONS[name];
    // Each entry is an arrow function: no `prototype`, no `this`, one level deep.
    api[name] = (...args: unknown[]) => policy.enforce(name, op, args);
  }
  return Object.freeze(api) as ExposedApi;
}
