/**
 * The audit chain's arithmetic, with no storage: how an entry's hash is computed, how a
 * checkpoint is serialised for its signature, and how a sequence of entries is checked. Pure
 * WebCrypto and canonical JSON, so that a server can run the same checks (docs/audit.md).
 */
import type { AuditCheckpoint, AuditEntry } from '@strongroom/bridge/protocol';
import { canonicalJson } from './canonical-json';

/** `prev` of the first entry: 32 zero bytes, in hex. */
export const ZERO_HASH = '0'.repeat(64);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function unhex(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The hash of an entry: SHA-256(bytes of `prev` ‖ canonical JSON of every field but `hash`). */
export async function entryHash(entry: Omit<AuditEntry, 'hash'>): Promise<string> {
  const { hash: _ignored, ...fields } = entry as AuditEntry;
  const body = new TextEncoder().encode(canonicalJson(fields));
  const prev = unhex(entry.prev);
  const input = new Uint8Array(prev.length + body.length);
  input.set(prev, 0);
  input.set(body, prev.length);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', input)));
}

/** The bytes an audit checkpoint's signature covers: its canonical JSON, UTF-8. */
export function checkpointBytes(checkpoint: AuditCheckpoint): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(canonicalJson(checkpoint));
}

/**
 * Check that `entries` (sorted by `seq`) form an unbroken chain after `prev` at `afterSeq`:
 * consecutive `seq`, each `prev` the previous `hash`, each `hash` recomputed. Returns the
 * problem found first, or `null`.
 */
export async function chainProblem(
  entries: readonly AuditEntry[],
  afterSeq: number,
  prev: string,
): Promise<string | null> {
  const hashes = await Promise.all(entries.map((e) => entryHash(e)));
  let seq = afterSeq;
  let last = prev;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as AuditEntry;
    if (entry.seq !== seq + 1) return `entry ${seq + 1} is missing (found ${entry.seq})`;
    if (entry.prev !== last) return `entry ${entry.seq} does not follow entry ${seq}`;
    if (hashes[i] !== entry.hash) return `entry ${entry.seq} was changed`;
    seq = entry.seq;
    last = entry.hash;
  }
  return null;
}
