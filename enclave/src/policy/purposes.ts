/**
 * Purposes: the one thing each key does, fixed at creation. This table says which operations
 * may use a key of each purpose; {@link PURPOSE_ALGORITHMS} (the wire contract) says which
 * algorithms each purpose takes. Reading operations (`getKey`, `listKeys`, `publicKey`) and
 * the life-cycle operations work on a key of any purpose.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import {
  KEY_PURPOSES,
  type KeyAlgorithm,
  type KeyPurpose,
  type OperationName,
  PURPOSE_ALGORITHMS,
} from '@strongroom/bridge/protocol';

/** The operations that use a key of each purpose (as the key they name). */
export const PURPOSE_OPERATIONS: { readonly [P in KeyPurpose]: readonly OperationName[] } = {
  sign: ['sign', 'verify'],
  jwt: ['signJwt', 'verify'],
  vapid: ['vapidAuth', 'applicationServerKey', 'verify'],
  mac: ['sign', 'verify'],
  seal: ['seal', 'open'],
  wrap: ['wrapKey', 'unwrapKey'],
  agree: ['agree'],
  jwe: ['decryptJwe'],
};

/** True when `value` is a purpose. */
export function isPurpose(value: unknown): value is KeyPurpose {
  return typeof value === 'string' && (KEY_PURPOSES as readonly string[]).includes(value);
}

/** Assert a purpose that fits `alg` (`INVALID_ARGUMENT` naming `field` otherwise). */
export function assertPurposeFor(
  value: unknown,
  alg: KeyAlgorithm,
  field: string,
): asserts value is KeyPurpose {
  if (!isPurpose(value)) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}" expected one of ${KEY_PURPOSES.map((p) => `'${p}'`).join(', ')}, got ${typeof value}`,
    );
  }
  if (!PURPOSE_ALGORITHMS[value].includes(alg)) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `a "${value}" key is ${PURPOSE_ALGORITHMS[value].join(' or ')}, not ${alg}`,
    );
  }
}

/** Refuse `operation` on a key of `purpose` that is not for it. */
export function assertPurposeAllows(purpose: KeyPurpose, operation: OperationName): void {
  if (!PURPOSE_OPERATIONS[purpose].includes(operation)) {
    throw new StrongroomError(
      'OPERATION_NOT_ALLOWED',
      `a "${purpose}" key cannot be used for ${operation} (its purpose is fixed at creation)`,
    );
  }
}
