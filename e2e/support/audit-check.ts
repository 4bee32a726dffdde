/**
 * A server's side of the audit log, written independently of the enclave's code from
 * docs/audit.md with `node:crypto`: recompute entry hashes, verify checkpoint signatures with
 * the audit public key, and compare a later log with an anchor kept outside the enclave. The
 * e2e audit suite uses it; docs/audit.md shows the same steps.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

/** An audit entry as `auditLog` returns it. */
export interface Entry {
  v: number;
  seq: number;
  time: number;
  origin: string;
  op: string;
  keyId: string | null;
  keyVersion: number | null;
  purpose: string | null;
  outcome: string;
  inBytes: number;
  outBytes: number;
  prev: string;
  hash: string;
}

/** A signed checkpoint. */
export interface Signed {
  checkpoint: { v: number; origin: string; seq: number; hash: string; time: number };
  signature: string;
}

/** What `auditAnchor` returns. */
export interface Anchor {
  checkpoint: Signed;
  publicJwk: { kty: string; crv: string; x: string; kid?: string };
}

/** Canonical JSON (RFC 8785 style: sorted keys, no whitespace) of plain JSON data. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
    .join(',')}}`;
}

/** SHA-256(prev bytes ‖ canonical JSON of the entry without `hash`), hex. */
export function hashOf(entry: Entry): string {
  const { hash: _hash, ...fields } = entry;
  return createHash('sha256')
    .update(Buffer.from(entry.prev, 'hex'))
    .update(canonical(fields), 'utf8')
    .digest('hex');
}

/** Whether a checkpoint's Ed25519 signature verifies with `publicJwk`. */
export function signatureValid(signed: Signed, publicJwk: Anchor['publicJwk']): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x },
    format: 'jwk',
  });
  return verify(
    null,
    Buffer.from(canonical(signed.checkpoint), 'utf8'),
    key,
    Buffer.from(signed.signature, 'base64url'),
  );
}

/**
 * Compare a later state of the log with an anchor kept outside the enclave: `entries` are the
 * entries from the anchor's `seq` (inclusive) to the head, `now` a fresh anchor. Returns what
 * is wrong, or `null` when the later log extends the anchored one.
 */
export function compareWithAnchor(anchor: Anchor, entries: Entry[], now: Anchor): string | null {
  if (!signatureValid(anchor.checkpoint, anchor.publicJwk)) return 'the kept anchor is not signed';
  if (now.publicJwk.x !== anchor.publicJwk.x) return 'the audit key was replaced';
  if (!signatureValid(now.checkpoint, now.publicJwk)) return 'the new checkpoint is not signed';
  const kept = anchor.checkpoint.checkpoint;
  const head = now.checkpoint.checkpoint;
  if (head.seq < kept.seq) return `the log is shorter than the anchor (${head.seq} < ${kept.seq})`;
  const first = entries[0];
  if (!first || first.seq !== kept.seq) return `entry ${kept.seq} of the anchor is gone`;
  if (first.hash !== kept.hash || hashOf(first) !== kept.hash) {
    return `entry ${kept.seq} differs from the anchor`;
  }
  let prev = first;
  for (const entry of entries.slice(1)) {
    if (entry.seq !== prev.seq + 1) return `entry ${prev.seq + 1} is missing`;
    if (entry.prev !== prev.hash || hashOf(entry) !== entry.hash) {
      return `entry ${entry.seq} does not follow the chain`;
    }
    prev = entry;
  }
  if (prev.seq !== head.seq || prev.hash !== head.hash) return 'the entries do not reach the head';
  return null;
}
