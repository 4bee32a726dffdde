/**
 * Validation of JSON values that cross the channel (JWT claims and headers). Structured clone
 * can carry much more than JSON (Dates, Maps, typed arrays, sparse arrays, cycles): only plain
 * objects, arrays, strings, finite numbers, booleans and null pass, bounded in depth, node
 * count and serialized size. The member names `__proto__`, `constructor` and `prototype` are
 * refused at any depth: structured clone delivers `__proto__` as an own member, and code that
 * copies or merges such an object later could otherwise reach a prototype.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { JsonObject } from '@strongroom/bridge/protocol';
import { utf8 } from './encoding';

/** Member names refused at any depth (prototype pollution gadgets). */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function invalid(field: string, path: string, what: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `"${field}${path}" ${what}`);
}

function check(
  value: unknown,
  field: string,
  path: string,
  depth: number,
  budget: { nodes: number; maxDepth: number },
): void {
  if (--budget.nodes < 0) {
    throw new StrongroomError('PAYLOAD_TOO_LARGE', `"${field}" has too many values`);
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(field, path, 'is not a finite number');
    return;
  }
  if (typeof value !== 'object') throw invalid(field, path, `is not JSON (${typeof value})`);
  if (depth >= budget.maxDepth) {
    throw new StrongroomError('PAYLOAD_TOO_LARGE', `"${field}" is nested too deeply`);
  }
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw invalid(field, path, 'is not JSON');
    for (let i = 0; i < value.length; i++) {
      if (!Object.hasOwn(value, i)) throw invalid(field, `${path}[${i}]`, 'is a hole');
      check(value[i], field, `${path}[${i}]`, depth + 1, budget);
    }
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    throw invalid(field, path, 'is not a plain object');
  }
  // `Object.entries` lists an own `__proto__` member (as structured clone creates it).
  for (const [name, member] of Object.entries(value)) {
    if (RESERVED_NAMES.has(name)) throw invalid(field, `${path}.${name}`, 'is a reserved name');
    check(member, field, `${path}.${name}`, depth + 1, budget);
  }
}

/**
 * Assert a JSON object whose `JSON.stringify` is at most `maxBytes` UTF-8 bytes and whose
 * nesting is at most `maxDepth` deep, with no member named `__proto__`, `constructor` or
 * `prototype` at any depth (`INVALID_ARGUMENT` naming its path).
 */
export function assertJsonObject(
  value: unknown,
  field: string,
  maxBytes: number,
  maxDepth: number,
): asserts value is JsonObject {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.getPrototypeOf(value) !== Object.prototype
  ) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" expected a JSON object`);
  }
  // Every value costs at least one byte of JSON, so the byte bound also bounds the walk.
  check(value, field, '', 0, { nodes: maxBytes, maxDepth });
  if (utf8(JSON.stringify(value)).byteLength > maxBytes) {
    throw new StrongroomError('PAYLOAD_TOO_LARGE', `"${field}" is larger than ${maxBytes} bytes`);
  }
}
