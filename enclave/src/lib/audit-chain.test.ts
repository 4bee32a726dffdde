/**
 * The audit chain's arithmetic against the definition in docs/audit.md, computed independently
 * with Node's own SHA-256 and the generic canonical JSON (as a server checking a log does):
 * entries of every shape the enclave writes, and tampered ones, including fields added or given
 * another type (which the fast serialisation must leave to the generic one).
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import { chainProblem, entryHash, ZERO_HASH } from './audit-chain';
import { canonicalJson } from './canonical-json';

/** docs/audit.md's definition, with node:crypto. */
function reference(entry: Record<string, unknown>): string {
  const { hash: _ignored, ...fields } = entry;
  return createHash('sha256')
    .update(Buffer.from(String(fields.prev), 'hex'))
    .update(canonicalJson(fields))
    .digest('hex');
}

function chain(bodies: readonly Omit<AuditEntry, 'hash' | 'prev' | 'seq'>[]): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prev = ZERO_HASH;
  for (const [i, body] of bodies.entries()) {
    const fields = { ...body, seq: i + 1, prev };
    const hash = reference(fields);
    out.push({ ...fields, hash });
    prev = hash;
  }
  return out;
}

const base = {
  v: 1,
  time: 1_764_540_000_000,
  origin: 'https://app.example',
  op: 'sign',
  keyId: 'k1',
  keyVersion: 2,
  purpose: 'sign',
  outcome: 'ok',
  inBytes: 32,
  outBytes: 64,
} as const;

const bodies: Omit<AuditEntry, 'hash' | 'prev' | 'seq'>[] = [
  base,
  {
    ...base,
    op: 'guard',
    keyId: null,
    keyVersion: null,
    purpose: null,
    outcome: 'PROTOCOL_VIOLATION',
    inBytes: 0,
    outBytes: 0,
  },
  {
    ...base,
    origin: 'https://ünïcode.example:8443',
    keyId: 'id "quoted" \\ \u2028',
    outcome: 'RATE_LIMITED',
  },
  { ...base, time: 0, inBytes: 1_048_576, outBytes: 0, keyVersion: 1 },
];

describe('entryHash', () => {
  it('is SHA-256(prev bytes ‖ canonical JSON of the other fields), as docs/audit.md defines', () => {
    for (const entry of chain(bodies)) {
      expect(entryHash(entry)).toBe(entry.hash);
      const { hash: _h, ...fields } = entry;
      expect(entryHash(fields)).toBe(entry.hash);
    }
  });

  it('hashes an entry with a field added, or a value of another type, as stored', () => {
    const [entry] = chain([base]) as [AuditEntry];
    const added = { ...entry, note: 'x' } as unknown as AuditEntry;
    expect(entryHash(added)).toBe(reference(added as unknown as Record<string, unknown>));
    expect(entryHash(added)).not.toBe(entry.hash);
    const retyped = { ...entry, keyVersion: '2' } as unknown as AuditEntry;
    expect(entryHash(retyped)).toBe(reference(retyped as unknown as Record<string, unknown>));
    expect(entryHash(retyped)).not.toBe(entry.hash);
    const nested = { ...entry, keyId: { b: 1, a: 2 } } as unknown as AuditEntry;
    expect(entryHash(nested)).toBe(reference(nested as unknown as Record<string, unknown>));
  });

  it('refuses a prev that is not a 64-digit lowercase hex hash', () => {
    const [entry] = chain([base]) as [AuditEntry];
    expect(entryHash({ ...entry, prev: 'zz'.repeat(32) })).toBeNull();
    expect(entryHash({ ...entry, prev: 'AB'.repeat(32) })).toBeNull();
    expect(entryHash({ ...entry, prev: '00' })).toBeNull();
  });
});

describe('chainProblem', () => {
  const entries = chain(bodies);

  it('accepts the chain', () => {
    expect(chainProblem(entries, 0, ZERO_HASH)).toBeNull();
    expect(chainProblem(entries.slice(2), 2, (entries[1] as AuditEntry).hash)).toBeNull();
  });

  it('finds an edited entry, a deleted one, two swapped, a field added and a bad prev', () => {
    const edited = entries.map((e) => (e.seq === 2 ? { ...e, outcome: 'ok' } : e));
    expect(chainProblem(edited, 0, ZERO_HASH)).toBe('entry 2 was changed');
    expect(chainProblem([...entries.slice(0, 1), ...entries.slice(2)], 0, ZERO_HASH)).toBe(
      'entry 2 is missing (found 3)',
    );
    const swapped = [entries[0], entries[2], entries[1], entries[3]] as AuditEntry[];
    expect(chainProblem(swapped, 0, ZERO_HASH)).toBe('entry 2 is missing (found 3)');
    const added = entries.map((e) => (e.seq === 3 ? ({ ...e, extra: 1 } as AuditEntry) : e));
    expect(chainProblem(added, 0, ZERO_HASH)).toBe('entry 3 was changed');
    expect(chainProblem(entries, 0, 'f'.repeat(64))).toBe('entry 1 does not follow entry 0');
    const badPrev = 'X'.repeat(64);
    const first = { ...(entries[0] as AuditEntry), prev: badPrev };
    expect(chainProblem([first], 0, badPrev)).toBe('entry 1 was changed');
  });
});
