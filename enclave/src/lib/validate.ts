/**
 * Assertion functions for values that crossed the channel. Every argument of every operation
 * comes from the app's page, which the enclave does not trust (it may be running an attacker's
 * script), so each is checked for type, shape and size before use, and errors name the field.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'Uint8Array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

function invalid(field: string, expected: string, value: unknown): StrongroomError {
  return new StrongroomError(
    'INVALID_ARGUMENT',
    `"${field}" expected ${expected}, got ${describe(value)}`,
  );
}

/** Assert the number of positional arguments of a call. */
export function assertArity(args: readonly unknown[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `expected ${expected} argument(s), got ${args.length}`,
    );
  }
}

/** Assert a string of at most `maxLength` code units. */
export function assertString(
  value: unknown,
  field: string,
  maxLength: number,
): asserts value is string {
  if (typeof value !== 'string') throw invalid(field, 'string', value);
  if (value.length > maxLength) {
    throw new StrongroomError(
      'PAYLOAD_TOO_LARGE',
      `"${field}" is longer than ${maxLength} characters`,
    );
  }
}

/** Assert a key id: a non-empty base64url string of bounded length. */
export function assertKeyId(value: unknown, field = 'keyId'): asserts value is string {
  assertString(value, field, LIMITS.maxKeyIdLength);
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw invalid(field, 'a key id', value);
}

/**
 * Assert a `Uint8Array` of at most `maxBytes`, backed by an ordinary `ArrayBuffer`
 * (a `SharedArrayBuffer` could change under the enclave while it works on it).
 */
export function assertBytes(
  value: unknown,
  field: string,
  maxBytes: number,
): asserts value is Uint8Array<ArrayBuffer> {
  if (!(value instanceof Uint8Array) || !(value.buffer instanceof ArrayBuffer)) {
    throw invalid(field, 'Uint8Array', value);
  }
  if (value.byteLength > maxBytes) {
    throw new StrongroomError('PAYLOAD_TOO_LARGE', `"${field}" is larger than ${maxBytes} bytes`);
  }
}

/**
 * Assert a plain object (as produced by structured clone) whose keys are all in `allowed`;
 * unknown fields are refused rather than ignored, so a typo never silently weakens a request.
 */
export function assertPlainObject(
  value: unknown,
  field: string,
  allowed: readonly string[],
): asserts value is Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.getPrototypeOf(value) !== Object.prototype
  ) {
    throw invalid(field, 'object', value);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new StrongroomError('INVALID_ARGUMENT', `"${field}" has unknown field "${key}"`);
    }
  }
}

/** Assert that `value` is one of `options`. */
export function assertOneOf<T extends string>(
  value: unknown,
  field: string,
  options: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw invalid(field, `one of ${options.map((o) => `'${o}'`).join(', ')}`, value);
  }
}
