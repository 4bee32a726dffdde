/**
 * PBKDF2-SHA-256 for passphrases (backups, vault enrollments): the accepted iteration range and
 * the calibration of an iteration count to this device.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { utf8 } from './encoding';

/** Fewest PBKDF2-SHA-256 iterations a backup or a vault enrollment may use (OWASP's 2023 figure). */
export const MIN_PBKDF2_ITERATIONS = 600_000;

/**
 * Most PBKDF2-SHA-256 iterations accepted. A backup's count comes from the file, which is
 * untrusted: without a bound, a forged file could keep the enclave busy for hours.
 */
export const MAX_PBKDF2_ITERATIONS = 20_000_000;

const CALIBRATION_PROBE_ITERATIONS = 100_000;
const ITERATION_STEP = 10_000;

/**
 * The PBKDF2-SHA-256 iteration count that takes about `targetMs` on this device: the median of
 * `runs` timed runs after one warm-up, scaled, rounded up to a multiple of 10,000, never below
 * {@link MIN_PBKDF2_ITERATIONS} nor above {@link MAX_PBKDF2_ITERATIONS}.
 *
 * @example
 * ```ts
 * const kdf = newKdf('passphrase', await calibratePbkdf2());
 * ```
 */
export async function calibratePbkdf2(targetMs = 250, runs = 5): Promise<number> {
  if (typeof targetMs !== 'number' || !(targetMs > 0 && targetMs <= 60_000)) {
    throw new StrongroomError('INVALID_ARGUMENT', '"targetMs" expected a number from 0 to 60000');
  }
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    throw new StrongroomError('INVALID_ARGUMENT', '"runs" expected an integer from 1 to 50');
  }
  const key = await crypto.subtle.importKey('raw', utf8('calibration'), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const params: Pbkdf2Params = {
    name: 'PBKDF2',
    hash: 'SHA-256',
    salt: new Uint8Array(16),
    iterations: CALIBRATION_PROBE_ITERATIONS,
  };
  await crypto.subtle.deriveBits(params, key, 256);
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await crypto.subtle.deriveBits(params, key, 256);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  // A clock too coarse to measure anything gives 0 ms: take the safe end of the range.
  const raw = median > 0 ? (targetMs / median) * CALIBRATION_PROBE_ITERATIONS : Infinity;
  const rounded = Number.isFinite(raw)
    ? Math.ceil(raw / ITERATION_STEP) * ITERATION_STEP
    : MAX_PBKDF2_ITERATIONS;
  return Math.min(MAX_PBKDF2_ITERATIONS, Math.max(MIN_PBKDF2_ITERATIONS, rounded));
}
