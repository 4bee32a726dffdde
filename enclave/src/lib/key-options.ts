/**
 * Shared validation of numbers of seconds (token lifetimes) that arrive from the app's page.
 */
import { StrongroomError } from '@strongroom/bridge/errors';

/** Assert an integer number of seconds in `[1, max]`. */
export function assertSeconds(value: unknown, field: string, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}" expected an integer number of seconds from 1 to ${max}`,
    );
  }
}
