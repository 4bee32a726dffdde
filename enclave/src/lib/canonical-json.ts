/**
 * Canonical JSON in the style of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers serialised as ECMAScript's JSON.stringify does (RFC 8785 §3.2.2
 * defines them that way). The release manifest is written this way so that the same build gives
 * the same bytes, and so the same signature, on any machine; audit entries and checkpoints are
 * hashed and signed in this form (docs/audit.md), so that a server can check them.
 */

import type { JsonValue } from '@strongroom/bridge/protocol';

/** A JSON value that {@link canonicalJson} accepts (the protocol's JSON type). */
export type { JsonValue };

/**
 * Serialise `value` canonically. Throws a `TypeError` naming the path of a value JSON cannot
 * represent exactly (undefined, a function, a bigint, a non-finite number, a non-plain object).
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1, 'x'], a: null }); // '{"a":null,"b":[1,"x"]}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$');
}

function serialise(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new TypeError(`${path}: expected a finite number, got ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => serialise(item, `${path}[${i}]`)).join(',')}]`;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
    const keys = Object.keys(record).sort();
    const members = keys.map(
      (key) => `${JSON.stringify(key)}:${serialise(record[key], `${path}.${key}`)}`,
    );
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`${path}: expected a JSON value, got ${typeName(value)}`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeName(value: unknown): string {
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return typeof value;
}
