/**
 * The audit log: every call, allowed or refused, one entry in a signed hash chain, with
 * nothing secret in it; tampering with the stored log — edit, delete, reorder, truncate,
 * replace the audit key, wipe and restart — caught by `verifyAuditLog` or, where only an anchor
 * kept outside can tell, by comparing with the anchor (an independent Node implementation,
 * e2e/support/audit-check.ts). IndexedDB is edited for real from inside the enclave frame.
 * And two tabs as one system: one chain, counters that add up, a revocation in one tab
 * refusing the other tab's next call.
 */

import { encode, type Json } from '../fixtures/src/wire-json';
import {
  type Anchor,
  compareWithAnchor,
  type Entry,
  hashOf,
  signatureValid,
} from '../support/audit-check';
import type { BrowserFrame, BrowserPage } from '../webkit/browser-page';
import {
  type CoreContext,
  call,
  callError,
  connectHarness,
  enclaveFrame,
  openHarness,
} from './harness';
import { type CoreSuite, expect } from './suite';

const te = new TextEncoder();
const SECRET = 'SECRET-MARKER-7f3a';

interface Page {
  entries: Entry[];
  checkpoints: Anchor['checkpoint'][];
  head: { seq: number; hash: string };
  firstSeq: number;
  publicJwk: Anchor['publicJwk'];
}

async function connected({ page, urls }: CoreContext): Promise<void> {
  await openHarness(page, urls.app);
  await connectHarness(page);
}

/** Every entry of the log (following pages). */
async function allEntries(page: BrowserPage): Promise<Entry[]> {
  const out: Entry[] = [];
  let since = 0;
  for (;;) {
    const chunk = await call<Page>(page, 'auditLog', { since, limit: 1000 });
    out.push(...chunk.entries);
    if (chunk.entries.length === 0 || since >= chunk.head.seq) return out;
    since = (chunk.entries[chunk.entries.length - 1] as Entry).seq;
    if (since >= chunk.head.seq) return out;
  }
}

/** Edit the stored audit log from inside the enclave frame. */
function tamper(frame: BrowserFrame, how: string, arg: Json = null): Promise<void> {
  return frame.evaluate(
    (input: { how: string; arg: Json }) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction(
            ['audit', 'auditHeads', 'auditCheckpoints', 'meta'],
            'readwrite',
          );
          const audit = tx.objectStore('audit');
          const all = audit.getAll();
          all.onsuccess = () => {
            const entries = all.result as Record<string, unknown>[];
            const origin = entries[0]?.origin as string;
            const at = (seq: number) =>
              entries.find((e) => e.seq === seq) as Record<string, unknown>;
            const n = input.arg as number;
            if (input.how === 'edit') audit.put({ ...at(n), outcome: 'ok', op: 'listKeys' });
            if (input.how === 'delete') audit.delete([origin, n]);
            if (input.how === 'reorder') {
              const a = at(n);
              const b = at(n + 1);
              audit.put({ ...b, seq: a.seq });
              audit.put({ ...a, seq: b.seq });
            }
            if (input.how === 'truncate') {
              // Keep entries up to `n` and point the head at the last one: a consistent,
              // shorter chain.
              const last = entries.findIndex((e) => e.seq === n) + 1;
              for (const e of entries.slice(last)) audit.delete([origin, e.seq as number]);
              const keep = entries[last - 1] as Record<string, unknown>;
              tx.objectStore('auditHeads').put({
                origin,
                seq: keep.seq,
                hash: keep.hash,
                firstSeq: 1,
              });
              tx.objectStore('auditCheckpoints').delete(
                IDBKeyRange.bound([origin, (keep.seq as number) + 1], [origin, 1e15]),
              );
            }
            if (input.how === 'wipe' || input.how === 'replace-key') {
              audit.clear();
              tx.objectStore('auditHeads').clear();
              tx.objectStore('auditCheckpoints').clear();
              if (input.how === 'replace-key') tx.objectStore('meta').delete(`audit-key:${origin}`);
            }
          };
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { how, arg },
  );
}

/** A log of a few dozen entries, with an anchor taken in the middle. */
async function loggedWithAnchor(ctx: CoreContext): Promise<Anchor> {
  await connected(ctx);
  const key = await call<{ id: string }>(ctx.page, 'generateKey', {
    alg: 'EdDSA',
    purpose: 'sign',
  });
  for (let i = 0; i < 10; i++) await call(ctx.page, 'sign', key.id, te.encode(`m${i}`));
  const anchor = await call<Anchor>(ctx.page, 'auditAnchor');
  for (let i = 0; i < 10; i++) await call(ctx.page, 'sign', key.id, te.encode(`n${i}`));
  return anchor;
}

/** Reconnect (a fresh worker forgets any cached audit key) and check against the anchor. */
async function laterCheck(
  ctx: CoreContext,
  anchor: Anchor,
): Promise<{ verified: { ok: boolean; problem?: string }; comparison: string | null }> {
  await ctx.page.reload();
  await connected(ctx);
  const verified = await call<{ ok: boolean; problem?: string }>(ctx.page, 'verifyAuditLog');
  const now = await call<Anchor>(ctx.page, 'auditAnchor');
  const entries = (await allEntries(ctx.page)).filter(
    (e) => e.seq >= anchor.checkpoint.checkpoint.seq,
  );
  return { verified, comparison: compareWithAnchor(anchor, entries, now) };
}

/**
 * A tamper test: `how` applied with `arg(anchorSeq)`; `expectVerify`: whether verifyAuditLog
 * itself must see it (otherwise only the anchor kept outside can).
 */
function tamperTest(
  name: string,
  how: string,
  arg: (anchorSeq: number) => number | null,
  expectVerify: boolean,
) {
  return {
    name,
    async run(ctx: CoreContext) {
      const anchor = await loggedWithAnchor(ctx);
      // Untouched: the log verifies and extends the anchor.
      const clean = await laterCheck(ctx, anchor);
      expect(clean).toEqual({ verified: expect.objectContaining({ ok: true }), comparison: null });
      await tamper(
        enclaveFrame(ctx.page, ctx.urls.enclave),
        how,
        arg(anchor.checkpoint.checkpoint.seq),
      );
      const { verified, comparison } = await laterCheck(ctx, anchor);
      if (expectVerify) {
        // verifyAuditLog itself sees it.
        expect(verified.ok, JSON.stringify(verified)).toBe(false);
      } else {
        // The chain left behind is consistent; only the anchor kept outside tells.
        expect(verified.ok, JSON.stringify(verified)).toBe(true);
      }
      expect(comparison, 'the anchor comparison').not.toBeNull();
    },
  };
}

/** The audit suites. */
export const AUDIT: readonly CoreSuite[] = [
  {
    describe: 'when calls are audited',
    tests: [
      {
        name: 'every call, allowed or refused, appends one entry with its outcome, and nothing secret',
        async run(ctx) {
          await connected(ctx);
          const signer = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'EdDSA',
            purpose: 'sign',
          });
          const jwt = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'ES256',
            purpose: 'jwt',
          });
          const sealer = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'A256GCM',
            purpose: 'seal',
          });
          const signature = await call<Uint8Array>(ctx.page, 'sign', signer.id, te.encode(SECRET));
          const token = await call<string>(ctx.page, 'signJwt', jwt.id, {
            claims: { sub: SECRET },
            expiresIn: 60,
          });
          const envelope = await call<Uint8Array>(ctx.page, 'seal', sealer.id, te.encode(SECRET));
          await call(ctx.page, 'open', envelope);
          const refused = [
            await callError(ctx.page, 'signJwt', signer.id, { claims: {}, expiresIn: 60 }),
            await callError(ctx.page, 'sign', 42, te.encode('x')),
            await callError(ctx.page, 'getKey', 'AAAAAAAAAAAAAAAAAAAAAA'),
          ].map((e) => e.code);
          expect(refused).toEqual(['OPERATION_NOT_ALLOWED', 'INVALID_ARGUMENT', 'KEY_NOT_FOUND']);
          // A message the guard refuses, on a second channel of the same origin.
          await ctx.page.evaluate(() => window.sr.rawOpen());
          await ctx.page.evaluate(() =>
            window.sr.rawSend({ id: 'x', type: 'GET', path: [] } as never, 1000),
          );

          // The guard's entry is written as the refusal is answered: wait for it.
          let all: Entry[] = [];
          for (let i = 0; i < 50; i++) {
            all = await allEntries(ctx.page);
            if (all.some((e) => e.op === 'guard')) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
          // (`auditLog` calls are audited too; they are left out of this comparison.)
          const entries = all.filter((e) => e.op !== 'auditLog');
          const summary = entries.map((e) => [e.op, e.outcome]);
          expect(summary).toEqual([
            ['generateKey', 'ok'],
            ['generateKey', 'ok'],
            ['generateKey', 'ok'],
            ['sign', 'ok'],
            ['signJwt', 'ok'],
            ['seal', 'ok'],
            ['open', 'ok'],
            ['signJwt', 'OPERATION_NOT_ALLOWED'],
            ['sign', 'INVALID_ARGUMENT'],
            ['getKey', 'KEY_NOT_FOUND'],
            ['guard', 'PROTOCOL_VIOLATION'],
          ]);
          const wrongPurpose = entries[7] as Entry;
          expect(wrongPurpose).toMatchObject({ keyId: signer.id, purpose: 'sign', keyVersion: 1 });
          expect(entries[3]).toMatchObject({ inBytes: SECRET.length, outBytes: 64 });
          expect(entries[5]).toMatchObject({
            inBytes: SECRET.length,
            outBytes: envelope.byteLength,
          });
          for (const entry of all) {
            expect(hashOf(entry)).toBe(entry.hash);
            expect(Object.keys(entry).sort()).toEqual([
              'hash',
              'inBytes',
              'keyId',
              'keyVersion',
              'op',
              'origin',
              'outBytes',
              'outcome',
              'prev',
              'purpose',
              'seq',
              'time',
              'v',
            ]);
          }
          // Nothing secret in any stored entry: read IndexedDB itself.
          const stored = await enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
            () =>
              new Promise<string>((resolve, reject) => {
                const req = indexedDB.open('strongroom');
                req.onsuccess = () => {
                  const all = req.result.transaction('audit').objectStore('audit').getAll();
                  all.onsuccess = () => resolve(JSON.stringify(all.result));
                  all.onerror = () => reject(all.error);
                };
                req.onerror = () => reject(req.error);
              }),
          );
          for (const secret of [
            SECRET,
            token,
            token.split('.')[2] as string,
            Buffer.from(signature).toString('base64url'),
            Buffer.from(signature).toString('base64'),
            Buffer.from(envelope.subarray(-16)).toString('base64'),
          ]) {
            expect(stored).not.toContain(secret);
          }
          expect((await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).ok).toBe(true);
        },
      },
      {
        name: 'an anchor is a signed checkpoint of the chain, and checkpoints are written every 100 entries',
        async run(ctx) {
          await connected(ctx);
          const key = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'HS256',
            purpose: 'mac',
          });
          const calls: [string, Json[]][] = Array.from({ length: 120 }, (_, i) => [
            'sign',
            [encode(key.id), encode(te.encode(`x${i}`))],
          ]);
          const outcomes = (await ctx.page.evaluate(
            (input: { calls: [string, Json[]][] }) => window.sr.many(input.calls, 8),
            { calls },
          )) as string[];
          expect(outcomes.every((o) => o === 'ok')).toBe(true);
          const anchor = await call<Anchor>(ctx.page, 'auditAnchor');
          expect(signatureValid(anchor.checkpoint, anchor.publicJwk)).toBe(true);
          expect(anchor.checkpoint.checkpoint.seq).toBe(122);
          const page = await call<Page>(ctx.page, 'auditLog', { since: 90, limit: 40 });
          expect(page.checkpoints.map((c) => c.checkpoint.seq)).toContain(100);
          const at100 = page.entries.find((e) => e.seq === 100) as Entry;
          const cp100 = page.checkpoints.find(
            (c) => c.checkpoint.seq === 100,
          ) as Anchor['checkpoint'];
          expect(cp100.checkpoint.hash).toBe(at100.hash);
          expect(signatureValid(cp100, page.publicJwk)).toBe(true);
          expect(page.publicJwk).toEqual(anchor.publicJwk);
          // Usage counters are exact (written with the entries).
          expect(
            (await call<{ usage: { count: number } }>(ctx.page, 'getKey', key.id)).usage.count,
          ).toBe(120);
        },
      },
      {
        name: 'entries older than the retention age are pruned under a checkpoint, and the log still verifies',
        async run(ctx) {
          await connected(ctx);
          const key = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'EdDSA',
            purpose: 'sign',
          });
          for (let i = 0; i < 5; i++) await call(ctx.page, 'sign', key.id, te.encode('old'));
          const before = await call<Page>(ctx.page, 'auditLog');
          expect(before.firstSeq).toBe(1);
          // 91 days later (the dev-only policy clock).
          await enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
            (ms: number) => {
              const channel = new BroadcastChannel('dev:clock-offset');
              channel.postMessage(ms);
              setTimeout(() => channel.close(), 100);
            },
            91 * 24 * 3600 * 1000,
          );
          await new Promise((r) => setTimeout(r, 300));
          await call(ctx.page, 'sign', key.id, te.encode('new'));
          const after = await call<Page>(ctx.page, 'auditLog');
          expect(after.firstSeq).toBeGreaterThan(1);
          expect(after.entries[0]?.seq).toBe(after.firstSeq);
          expect(after.checkpoints.map((c) => c.checkpoint.seq)).toContain(after.firstSeq - 1);
          expect((await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).ok).toBe(true);
        },
      },
    ],
  },
  {
    describe: 'when the stored audit log is tampered with',
    tests: [
      tamperTest('an edited entry is detected by verifyAuditLog', 'edit', (a) => a + 3, true),
      tamperTest('a deleted entry is detected by verifyAuditLog', 'delete', (a) => a + 3, true),
      tamperTest(
        'two entries swapped are detected by verifyAuditLog',
        'reorder',
        (a) => a + 3,
        true,
      ),
      tamperTest('a truncated log is detected by the anchor', 'truncate', (a) => a - 3, false),
      tamperTest(
        'a replaced audit key is detected by the anchor',
        'replace-key',
        () => null,
        false,
      ),
      tamperTest(
        'a wiped and restarted chain is detected by the anchor',
        'wipe',
        () => null,
        false,
      ),
    ],
  },
  {
    describe: 'when two tabs use the enclave at once',
    tests: [
      {
        name: 'one chain for both tabs: every call accounted for once, counters adding up, a revocation in one tab refusing the other',
        async run(ctx) {
          const perTab = ctx.browserName === 'webkit' ? 300 : 1000;
          await connected(ctx);
          const second = await ctx.newPage();
          await openHarness(second, ctx.urls.app);
          await connectHarness(second);
          // Keys enough to stay under the 600 uses per key and minute that both tabs share.
          const make = (alg: string, purpose: string) =>
            call<{ id: string }>(ctx.page, 'generateKey', { alg, purpose });
          const mac = await make('HS256', 'mac');
          const mac2 = await make('HS256', 'mac');
          const sealer = await make('A256GCM', 'seal');
          const opener = await make('A256GCM', 'seal');
          const env = await call<Uint8Array>(ctx.page, 'seal', opener.id, te.encode('x'));
          const plan = (n: number): [string, Json[]][] =>
            Array.from({ length: n }, (_, i) => {
              switch (i % 5) {
                case 0:
                  return ['sign', [encode(mac.id), encode(te.encode(`d${i}`))]];
                case 1:
                  return ['sign', [encode(mac2.id), encode(te.encode(`d${i}`))]];
                case 2:
                  return ['seal', [encode(sealer.id), encode(te.encode(`p${i}`))]];
                case 3:
                  return ['open', [encode(env)]];
                default:
                  return ['sign', [encode(sealer.id), encode(te.encode('wrong purpose'))]];
              }
            });
          const headBefore = (await call<Page>(ctx.page, 'auditLog', { limit: 1 })).head.seq;
          const run = (p: BrowserPage) =>
            p.evaluate((input: { calls: [string, Json[]][] }) => window.sr.many(input.calls, 16), {
              calls: plan(perTab),
            }) as Promise<string[]>;
          const [a, b] = await Promise.all([run(ctx.page), run(second)]);
          const all = [...a, ...b];
          expect(all.filter((o) => o === 'ok').length).toBe(((perTab * 4) / 5) * 2);
          expect(all.filter((o) => o === 'OPERATION_NOT_ALLOWED').length).toBe((perTab / 5) * 2);

          const after = (await allEntries(ctx.page)).filter((e) => e.seq > headBefore);
          expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => headBefore + i + 1));
          // (`auditLog` calls are audited too; they are left out of the count.)
          const entries = after.filter((e) => e.op !== 'auditLog');
          expect(entries.length).toBe(perTab * 2);
          expect(entries.filter((e) => e.outcome === 'ok').length).toBe(((perTab * 4) / 5) * 2);
          expect((await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).ok).toBe(true);
          const keys = await call<{ id: string; usage: { count: number } }[]>(ctx.page, 'listKeys');
          const count = (id: string) => keys.find((k) => k.id === id)?.usage.count;
          // One use per five calls per tab for each key, plus the setup seal of `opener`.
          expect(count(mac.id)).toBe((perTab / 5) * 2);
          expect(count(mac2.id)).toBe((perTab / 5) * 2);
          expect(count(sealer.id)).toBe((perTab / 5) * 2);
          expect(count(opener.id)).toBe((perTab / 5) * 2 + 1);

          // Rate limits add up across tabs: 10 uses a minute, 6 asked in each tab.
          const limited = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'HS256',
            purpose: 'mac',
            usesPerMinute: 10,
          });
          const six: [string, Json[]][] = Array.from({ length: 6 }, () => [
            'sign',
            [encode(limited.id), encode(te.encode('x'))],
          ]);
          const both = await Promise.all(
            [ctx.page, second].map(
              (p) =>
                p.evaluate(
                  (input: { calls: [string, Json[]][] }) => window.sr.many(input.calls, 1),
                  { calls: six },
                ) as Promise<string[]>,
            ),
          );
          const flat = both.flat();
          expect(flat.filter((o) => o === 'ok').length).toBe(10);
          expect(flat.filter((o) => o === 'RATE_LIMITED').length).toBe(2);

          // Revoked in one tab: the other tab's very next call is refused (its worker still
          // holds the record it cached before).
          await call(second, 'sign', mac.id, te.encode('cached'));
          await call(ctx.page, 'revokeKey', mac.id);
          const refused = await callError(second, 'sign', mac.id, te.encode('after'));
          expect(refused.code).toBe('OPERATION_NOT_ALLOWED');
          // Rotated in one tab: the other tab signs with the new version, never the old one.
          await call(second, 'seal', sealer.id, te.encode('cached'));
          await call(ctx.page, 'rotateKey', sealer.id);
          const sealed = await call<Uint8Array>(
            second,
            'seal',
            sealer.id,
            te.encode('after'),
          ).catch((e: { view: { code: string } }) => e.view.code);
          if (typeof sealed === 'string') expect(sealed).toBe('OPERATION_NOT_ALLOWED');
          else expect(sealed[5 + (sealed[4] ?? 0) + 3]).toBe(2);
        },
      },
    ],
  },
];
