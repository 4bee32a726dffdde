/**
 * Validation of the options every new key takes (`generateKey`, `unwrapKey`): `label`,
 * `maxTokenLifetime` and `exportable`. They arrive from the app's page and are untrusted.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import type { NewKeyOptions } from '../keystore/material';
import type { AlgorithmSpec } from './algorithms';
import { assertString } from './validate';

/** Assert an integer number of seconds in `[1, max]`. */
export function assertSeconds(value: unknown, field: string, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}" expected an integer number of seconds from 1 to ${max}`,
    );
  }
}

/** Validate `label`, `maxTokenLifetime` and `exportable` for a new key of `spec`. */
export function newKeyOptions(
  spec: AlgorithmSpec,
  options: Record<string, unknown>,
  field: string,
): NewKeyOptions {
  const { label = '', maxTokenLifetime, exportable = false } = options;
  assertString(label, `${field}.label`, LIMITS.maxLabelLength);
  if (maxTokenLifetime !== undefined) {
    if (!spec.capabilities.has('jwt')) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `"${field}.maxTokenLifetime" applies only to keys that sign tokens (ES256, EdDSA)`,
      );
    }
    assertSeconds(maxTokenLifetime, `${field}.maxTokenLifetime`, LIMITS.maxTokenLifetime);
  }
  if (typeof exportable !== 'boolean') {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.exportable" expected boolean`);
  }
  if (exportable && spec.kind !== 'secret') {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}.exportable" is available for secret keys only (A256GCM, A256KW, HS256)`,
    );
  }
  return {
    label,
    maxTokenLifetime: maxTokenLifetime ?? LIMITS.defaultTokenLifetime,
    exportable,
  };
}
