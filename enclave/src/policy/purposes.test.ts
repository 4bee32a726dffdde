/**
 * `assertPurposeAllows` over the whole `PURPOSE_OPERATIONS` table: every purpose × operation
 * pair of the wire contract is allowed exactly when the table lists it, and refused
 * `OPERATION_NOT_ALLOWED` otherwise.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { KEY_PURPOSES, OPERATION_NAMES } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import { assertPurposeAllows, PURPOSE_OPERATIONS } from './purposes';

describe('assertPurposeAllows', () => {
  it('allows exactly the operations of the table for each purpose', () => {
    let allowed = 0;
    for (const purpose of KEY_PURPOSES) {
      for (const operation of OPERATION_NAMES) {
        const listed = PURPOSE_OPERATIONS[purpose].includes(operation);
        let error: unknown = null;
        try {
          assertPurposeAllows(purpose, operation);
        } catch (err) {
          error = err;
        }
        if (listed) {
          expect(error, `${operation} with a "${purpose}" key`).toBeNull();
          allowed += 1;
        } else {
          expect(error, `${operation} with a "${purpose}" key`).toBeInstanceOf(StrongroomError);
          expect((error as StrongroomError).code).toBe('OPERATION_NOT_ALLOWED');
        }
      }
    }
    // Every listed operation is a real one, so the loop above met each of them.
    expect(allowed).toBe(Object.values(PURPOSE_OPERATIONS).flat().length);
  });

  it('lets no key both sign raw bytes and sign tokens', () => {
    for (const purpose of KEY_PURPOSES) {
      const ops = PURPOSE_OPERATIONS[purpose];
      const tokens = ops.includes('signJwt') || ops.includes('vapidAuth');
      expect(tokens && ops.includes('sign'), purpose).toBe(false);
    }
  });
});
