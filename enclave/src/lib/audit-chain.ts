/**
 * The audit chain's arithmetic, with no storage: how an entry's hash is computed, how a
 * checkpoint is serialised for its signature, and how a sequence of entries is checked. Canonical
 * JSON and SHA-256, so that a server can run the same checks (docs/audit.md).
 *
 * SHA-256 is computed synchronously with `@noble/hashes` (audited, pure JS, no eval or wasm), not
 * with `crypto.subtle.digest`: an entry is a few hundred bytes, and one awaited WebCrypto digest
 * per entry cost more in scheduling than in hashing (10,000 entries: ~770 ms in Chromium). Being
 * synchronous also lets a commit hash its entries inside an open IndexedDB transaction.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { AuditCheckpoint, AuditEntry } from '@strongroom/bridge/protocol';
import { canonicalJson } from './canonical-json';

/** `prev` of the first entry: 32 zero bytes, in hex. */
export const ZERO_HASH = '0'.repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

/** The 32 bytes of a 64-digit lowercase hex hash, or `null` if `text` is not one. */
function hashBytes(text: string): Uint8Array | null {
  if (!HEX64.test(text)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const str = (v: unknown): v is string => typeof v === 'string';
const int = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const orNull =
  (is: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === null || is(v);
const strOrNull = orNull(str);
const intOrNull = orNull(int);

/**
 * The canonical JSON of a version-1 entry's fields (all but `hash`), written directly when the
 * entry has exactly the version-1 fields with JSON-primitive values — byte for byte what
 * {@link canonicalJson} gives (keys in sorted order), several times faster — and by
 * {@link canonicalJson} otherwise (an entry with a field added or a value of another type is
 * hashed as stored, so the change shows).
 */
function entryJson(entry: Omit<AuditEntry, 'hash'> & { hash?: unknown }): string {
  const e = entry as unknown as Record<string, unknown>;
  const fields = Object.keys(e).length - ('hash' in e ? 1 : 0);
  if (
    fields === 12 &&
    e.v === 1 &&
    int(e.seq) &&
    int(e.time) &&
    str(e.origin) &&
    str(e.op) &&
    strOrNull(e.keyId) &&
    intOrNull(e.keyVersion) &&
    strOrNull(e.purpose) &&
    str(e.outcome) &&
    int(e.inBytes) &&
    int(e.outBytes) &&
    str(e.prev)
  ) {
    const j = JSON.stringify;
    return `{"inBytes":${j(e.inBytes)},"keyId":${j(e.keyId)},"keyVersion":${j(e.keyVersion)},"op":${j(e.op)},"origin":${j(e.origin)},"outBytes":${j(e.outBytes)},"outcome":${j(e.outcome)},"prev":${j(e.prev)},"purpose":${j(e.purpose)},"seq":${j(e.seq)},"time":${j(e.time)},"v":1}`;
  }
  const { hash: _ignored, ...rest } = e;
  return canonicalJson(rest);
}

/**
 * The hash of an entry: SHA-256(bytes of `prev` ‖ canonical JSON of every field but `hash`), in
 * hex. Returns `null` when `prev` is not a 64-digit lowercase hex hash (no valid entry has one).
 */
export function entryHash(entry: Omit<AuditEntry, 'hash'> & { hash?: unknown }): string | null {
  const prev = hashBytes(entry.prev);
  if (!prev) return null;
  const body = encoder.encode(entryJson(entry));
  const input = new Uint8Array(32 + body.length);
  input.set(prev, 0);
  input.set(body, 32);
  return bytesToHex(sha256(input));
}

/** The bytes an audit checkpoint's signature covers: its canonical JSON, UTF-8. */
export function checkpointBytes(checkpoint: AuditCheckpoint): Uint8Array<ArrayBuffer> {
  return encoder.encode(canonicalJson(checkpoint));
}

/**
 * Check that `entries` (sorted by `seq`) form an unbroken chain after `prev` at `afterSeq`:
 * consecutive `seq`, each `prev` the previous `hash`, each `hash` recomputed. Returns the
 * problem found first, or `null`.
 */
export function chainProblem(
  entries: readonly AuditEntry[],
  afterSeq: number,
  prev: string,
): string | null {
  let seq = afterSeq;
  let last = prev;
  for (const entry of entries) {
    if (entry.seq !== seq + 1) return `entry ${seq + 1} is missing (found ${entry.seq})`;
    if (entry.prev !== last) return `entry ${entry.seq} does not follow entry ${seq}`;
    if (entryHash(entry) !== entry.hash) return `entry ${entry.seq} was changed`;
    seq = entry.seq;
    last = entry.hash;
  }
  return null;
}
