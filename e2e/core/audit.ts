/**
 * The audit log: every call, allowed or refused, one entry in a signed hash chain, with
 * nothing secret in it; tampering with the stored log — edit, delete, reorder, truncate,
 * replace the audit key, wipe and restart — caught by `verifyAuditLog` or, where only an anchor
 * kept outside can tell, by comparing with the anchor (an independent Node implementation,
 * e2e/support/audit-check.ts). IndexedDB is edited for real from inside the enclave frame.
 * And two tabs as one system: one chain, counters that add up, a revocation in one tab
 * refusing the other tab's next call.
 */

import type { OperationName } from '../../bridge/src/protocol';
import { encode, type Json } from '../fixtures/src/wire-json';
import {
  type Anchor,
  compareWithAnchor,
  type Entry,
  hashOf,
  signatureValid,
} from '../support/audit-check';
import type { BrowserFrame, BrowserPage } from '../webkit/browser-page';
import { approvedOrAsked } from './consent';
import {
  type CoreContext,
  call,
  callError,
  connectHarness,
  enclaveFrame,
  openHarness,
} from './harness';
import { bareEnclave } from './migration';
import { type CoreSuite, expect } from './suite';

const te = new TextEncoder();
const SECRET = 'SECRET-MARKER-7f3a';
/** The operations the every-operation test runs: the protocol's as of audit version 1. */
const RAN: readonly OperationName[] = [
  'info',
  'generateKey',
  'listKeys',
  'getKey',
  'publicKey',
  'sign',
  'verify',
  'deleteKey',
  'rotateKey',
  'revokeKey',
  'scheduleDeletion',
  'cancelDeletion',
  'restrictKey',
  'destroyKey',
  'resetEnclave',
  'auditLog',
  'verifyAuditLog',
  'auditAnchor',
  'signJwt',
  'vapidAuth',
  'applicationServerKey',
  'seal',
  'open',
  'wrapKey',
  'unwrapKey',
  'agree',
  'encryptJwe',
  'decryptJwe',
];
/** The fields of an entry (docs/audit.md, version 1), sorted. */
const ENTRY_FIELDS = [
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
];

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

/**
 * Every stored entry, read from IndexedDB itself (enclave frame): the `auditBatches` store
 * holds one record per commit, its entries in order.
 */
function storedAudit(ctx: CoreContext): Promise<Entry[]> {
  return enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
    () =>
      new Promise<Entry[]>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onsuccess = () => {
          const all = req.result.transaction('auditBatches').objectStore('auditBatches').getAll();
          all.onsuccess = () => {
            req.result.close();
            resolve((all.result as { entries: Entry[] }[]).flatMap((b) => b.entries));
          };
          all.onerror = () => reject(all.error);
        };
        req.onerror = () => reject(req.error);
      }),
  );
}

/**
 * Dev builds only: store lower limits (`dev:audit-limits` in `meta`) from the enclave frame,
 * then reconnect so that the new worker reads them. Release builds do not contain the seam.
 */
async function lowerLimits(
  ctx: CoreContext,
  devLimits: { maxAuditEntries?: number; keyCreationsPerMinute?: number },
): Promise<void> {
  await enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
    (limits: Json) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onsuccess = () => {
          const tx = req.result.transaction('meta', 'readwrite');
          tx.objectStore('meta').put({ name: 'dev:audit-limits', devLimits: limits });
          tx.oncomplete = () => {
            req.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
        req.onerror = () => reject(req.error);
      }),
    devLimits as Json,
  );
  await ctx.page.reload();
  await connected(ctx);
}

/**
 * Run `calls` in each page at once: each page starts its batch without waiting (so that the
 * batches overlap even where one driver serialises commands, as WebKit's does), then both
 * are collected.
 */
async function inBoth(
  pages: readonly BrowserPage[],
  calls: (i: number) => [string, Json[]][],
  concurrency: number,
): Promise<string[][]> {
  await Promise.all(
    pages.map((p, i) =>
      p.evaluate(
        (input: { calls: [string, Json[]][]; concurrency: number }) => {
          (window as unknown as { batch: Promise<Json> }).batch = window.sr.many(
            input.calls,
            input.concurrency,
          );
        },
        { calls: calls(i), concurrency },
      ),
    ),
  );
  return Promise.all(
    pages.map(
      (p) =>
        p.evaluate(() => (window as unknown as { batch: Promise<Json> }).batch) as Promise<
          string[]
        >,
    ),
  );
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
            ['auditBatches', 'auditHeads', 'auditCheckpoints', 'meta'],
            'readwrite',
          );
          const store = tx.objectStore('auditBatches');
          const all = store.getAll();
          all.onsuccess = () => {
            // Each commit's entries are one stored batch: edit the entries, then store the
            // batches again as they were grouped (a batch left empty is deleted).
            type Stored = Record<string, unknown>;
            const batches = (
              all.result as { origin: string; seq: number; entries: Stored[] }[]
            ).map((b) => ({ ...b, entries: [...b.entries] }));
            const entries = batches.flatMap((b) => b.entries);
            const origin = entries[0]?.origin as string;
            const place = (seq: number) => {
              for (const b of batches) {
                const i = b.entries.findIndex((e) => e.seq === seq);
                if (i >= 0) return { b, i };
              }
              throw new Error(`no stored entry ${seq}`);
            };
            const at = (seq: number) => {
              const { b, i } = place(seq);
              return b.entries[i] as Stored;
            };
            const set = (seq: number, entry: Stored) => {
              const { b, i } = place(seq);
              b.entries[i] = entry;
            };
            const drop = (seq: number) => {
              const { b, i } = place(seq);
              b.entries.splice(i, 1);
            };
            const n = input.arg as number;
            if (input.how === 'edit') set(n, { ...at(n), outcome: 'ok', op: 'listKeys' });
            if (input.how === 'delete') drop(n);
            if (input.how === 'reorder') {
              const a = at(n);
              const b = at(n + 1);
              set(n, { ...b, seq: a.seq });
              set(n + 1, { ...a, seq: b.seq });
            }
            if (input.how === 'truncate') {
              // Keep entries up to `n` and point the head at the last one: a consistent,
              // shorter chain.
              const keep = at(n);
              for (const e of entries) if ((e.seq as number) > n) drop(e.seq as number);
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
              for (const b of batches) b.entries.length = 0;
              tx.objectStore('auditHeads').clear();
              tx.objectStore('auditCheckpoints').clear();
              if (input.how === 'replace-key') tx.objectStore('meta').delete(`audit-key:${origin}`);
            }
            // Each batch keeps its key (the seq of its last entry as first stored).
            for (const b of batches) {
              if (b.entries.length === 0) store.delete([b.origin, b.seq]);
              else store.put(b);
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

/**
 * Rewrite the keystore as schema 3 stored it, from a bare frame of the enclave origin (no key
 * worker holds the database): every store read, the database deleted and made again at version
 * 3 with the `audit` store of one record per entry, and everything put back — the same key
 * records, meta records, heads, checkpoints and entries.
 */
function downgradeToV3(frame: BrowserFrame): Promise<number> {
  return frame.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const NAMES = ['keys', 'meta', 'auditBatches', 'auditHeads', 'auditCheckpoints'];
        const read = indexedDB.open('strongroom');
        read.onerror = () => reject(read.error);
        read.onsuccess = () => {
          const db = read.result;
          const tx = db.transaction(NAMES, 'readonly');
          const data: Record<string, unknown[]> = {};
          for (const name of NAMES) {
            const all = tx.objectStore(name).getAll();
            all.onsuccess = () => {
              data[name] = all.result;
            };
          }
          tx.onerror = () => reject(tx.error);
          tx.oncomplete = () => {
            db.close();
            const gone = indexedDB.deleteDatabase('strongroom');
            gone.onerror = () => reject(gone.error);
            gone.onsuccess = () => {
              const v3 = indexedDB.open('strongroom', 3);
              v3.onerror = () => reject(v3.error);
              v3.onupgradeneeded = () => {
                const old = v3.result;
                old.createObjectStore('keys', { keyPath: 'id' }).createIndex('byOwner', 'owner');
                old.createObjectStore('meta', { keyPath: 'name' });
                old.createObjectStore('audit', { keyPath: ['origin', 'seq'] });
                old.createObjectStore('auditHeads', { keyPath: 'origin' });
                old.createObjectStore('auditCheckpoints', { keyPath: ['origin', 'seq'] });
              };
              v3.onsuccess = () => {
                const old = v3.result;
                const stores = ['keys', 'meta', 'audit', 'auditHeads', 'auditCheckpoints'];
                const put = old.transaction(stores, 'readwrite');
                let entries = 0;
                for (const r of data.keys ?? []) put.objectStore('keys').put(r);
                for (const r of data.meta ?? []) put.objectStore('meta').put(r);
                for (const r of data.auditHeads ?? []) put.objectStore('auditHeads').put(r);
                for (const r of data.auditCheckpoints ?? [])
                  put.objectStore('auditCheckpoints').put(r);
                for (const b of (data.auditBatches ?? []) as { entries: unknown[] }[]) {
                  for (const e of b.entries) {
                    put.objectStore('audit').put(e);
                    entries += 1;
                  }
                }
                put.onerror = () => reject(put.error);
                put.oncomplete = () => {
                  old.close();
                  resolve(entries);
                };
              };
            };
          };
        };
      }),
  );
}

/** The schema version and store names of the keystore (enclave frame). */
function keystoreShape(ctx: CoreContext): Promise<{ version: number; stores: string[] }> {
  return enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
    () =>
      new Promise<{ version: number; stores: string[] }>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const shape = { version: db.version, stores: [...db.objectStoreNames].sort() };
          db.close();
          resolve(shape);
        };
      }),
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
                  const all = req.result
                    .transaction('auditBatches')
                    .objectStore('auditBatches')
                    .getAll();
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
      {
        name: 'beyond the retention count (lowered to 50 in this dev build) entries are pruned under a signed checkpoint at the hash a server kept, and the log still verifies',
        async run(ctx) {
          await connected(ctx);
          await lowerLimits(ctx, { maxAuditEntries: 50 });
          const key = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'HS256',
            purpose: 'mac',
          });
          const first = await call<Anchor>(ctx.page, 'auditAnchor');
          // What a server keeps: every entry, fetched before pruning can reach it.
          const server: Entry[] = [];
          let since = 0;
          const fetchNew = async () => {
            const page = await call<Page>(ctx.page, 'auditLog', { since, limit: 1000 });
            expect(page.entries[0]?.seq, 'nothing pruned before the server fetched it').toBe(
              since + 1,
            );
            server.push(...page.entries);
            since = (page.entries[page.entries.length - 1] as Entry).seq;
          };
          for (let round = 0; round < 12; round++) {
            const calls: [string, Json[]][] = Array.from({ length: 10 }, (_, i) => [
              'sign',
              [encode(key.id), encode(te.encode(`r${round}-${i}`))],
            ]);
            const outcomes = (await ctx.page.evaluate(
              (input: { calls: [string, Json[]][] }) => window.sr.many(input.calls, 4),
              { calls },
            )) as string[];
            expect(outcomes.every((o) => o === 'ok')).toBe(true);
            await fetchNew();
          }
          const page = await call<Page>(ctx.page, 'auditLog', { since: 0 });
          // Over the count, entries go 5 at a time (a tenth of 50; 100 at the default count,
          // down to a checkpoint): between 46 and 50 are kept, never more.
          const kept = page.head.seq - page.firstSeq + 1;
          expect(page.firstSeq).toBeGreaterThan(70);
          expect(kept).toBeGreaterThanOrEqual(46);
          expect(kept).toBeLessThanOrEqual(50);
          expect((page.firstSeq - 1) % 5).toBe(0);
          expect(page.entries.map((e) => e.seq)).toEqual(
            Array.from({ length: kept }, (_, i) => page.firstSeq + i),
          );
          // IndexedDB itself keeps at most 50 entries, in one unbroken run up to the head (the
          // `auditLog` call above appended one more).
          const stored = (await storedAudit(ctx)).map((e) => e.seq).sort((a, b) => a - b);
          expect(stored.length).toBeGreaterThanOrEqual(46);
          expect(stored.length).toBeLessThanOrEqual(50);
          expect(stored).toEqual(
            Array.from({ length: stored.length }, (_, i) => page.head.seq + 2 - stored.length + i),
          );
          // The pruned entries lie under a checkpoint signed by the audit key, at the very hash
          // the server kept for the last pruned entry.
          const boundary = page.checkpoints.find((c) => c.checkpoint.seq === page.firstSeq - 1);
          expect(boundary, 'a checkpoint covers the pruned entries').toBeDefined();
          expect(signatureValid(boundary as Anchor['checkpoint'], page.publicJwk)).toBe(true);
          expect(boundary?.checkpoint.hash).toBe(
            server.find((e) => e.seq === page.firstSeq - 1)?.hash,
          );
          expect(page.publicJwk).toEqual(first.publicJwk);
          expect(await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).toMatchObject({
            ok: true,
            firstSeq: stored[0],
          });
          // The server's copy still extends its first anchor, taken before anything was pruned.
          const now = await call<Anchor>(ctx.page, 'auditAnchor');
          await fetchNew();
          const fromAnchor = server.filter((e) => e.seq >= first.checkpoint.checkpoint.seq);
          expect(compareWithAnchor(first, fromAnchor, now)).toBeNull();
        },
      },
      {
        name: 'after a run of every operation, no stored entry holds a payload, label, claim, token, signature, envelope or wrapped key',
        async run(ctx) {
          await connected(ctx);
          const make = (alg: string, purpose: string, extra: Record<string, Json> = {}) =>
            call<{ id: string; publicJwk: Json }>(ctx.page, 'generateKey', {
              alg,
              purpose,
              label: SECRET,
              ...extra,
            });
          const secrets: string[] = [SECRET];
          const keep = (bytes: Uint8Array) =>
            secrets.push(
              Buffer.from(bytes).toString('base64url'),
              Buffer.from(bytes).toString('base64'),
              Buffer.from(bytes).toString('hex'),
            );
          await call(ctx.page, 'info');
          const signer = await make('EdDSA', 'sign');
          const jwt = await make('ES256', 'jwt');
          const vapid = await make('ES256', 'vapid');
          const sealer = await make('A256GCM', 'seal');
          const kek = await make('A256KW', 'wrap');
          const exportable = await make('A256GCM', 'seal', { exportable: true });
          const agreeing = await make('X25519', 'agree');
          const peer = await make('X25519', 'agree');
          const recipient = await make('ECDH-ES', 'jwe');
          await call(ctx.page, 'listKeys');
          await call(ctx.page, 'getKey', signer.id);
          await call(ctx.page, 'publicKey', signer.id);
          const signature = await call<Uint8Array>(ctx.page, 'sign', signer.id, te.encode(SECRET));
          keep(signature);
          await call(ctx.page, 'verify', signer.id, te.encode(SECRET), signature);
          const token = await call<string>(ctx.page, 'signJwt', jwt.id, {
            claims: { sub: SECRET, secret: SECRET },
            expiresIn: 60,
          });
          const push = await call<string>(ctx.page, 'vapidAuth', vapid.id, {
            audience: 'https://push.example.net',
            subject: 'mailto:secret-marker@app.example',
            expiresIn: 60,
          });
          await call(ctx.page, 'applicationServerKey', vapid.id);
          secrets.push(token, ...token.split('.'), push, 'secret-marker');
          const aad = te.encode(`${SECRET}-aad`);
          const envelope = await call<Uint8Array>(ctx.page, 'seal', sealer.id, te.encode(SECRET), {
            aad,
          });
          keep(envelope.subarray(-32));
          await call(ctx.page, 'open', envelope, { aad });
          const wrapped = await approvedOrAsked(ctx, 'wrapKey', kek.id, exportable.id);
          if (wrapped.approved) {
            keep(wrapped.value as Uint8Array);
            await call(ctx.page, 'unwrapKey', kek.id, wrapped.value, {
              alg: 'A256GCM',
              purpose: 'seal',
              label: SECRET,
            });
          } else {
            // Where the test cannot click, the refusal of a made-up wrapped key is logged too.
            await callError(ctx.page, 'unwrapKey', kek.id, new Uint8Array(40), {
              alg: 'A256GCM',
              purpose: 'seal',
            });
          }
          await call(ctx.page, 'agree', agreeing.id, peer.publicJwk, {
            info: SECRET,
            alg: 'A256GCM',
            label: SECRET,
          });
          const jwe = await call<string>(
            ctx.page,
            'encryptJwe',
            recipient.publicJwk,
            te.encode(SECRET),
          );
          secrets.push(...jwe.split('.').filter((part) => part.length > 8));
          await call(ctx.page, 'decryptJwe', recipient.id, jwe);
          await call(ctx.page, 'restrictKey', jwt.id, { maxTokenLifetime: 300 });
          await call(ctx.page, 'rotateKey', signer.id);
          await call(ctx.page, 'revokeKey', vapid.id);
          await call(ctx.page, 'scheduleDeletion', sealer.id, { days: 7 });
          await call(ctx.page, 'cancelDeletion', sealer.id);
          await call(ctx.page, 'deleteKey', sealer.id);
          await approvedOrAsked(ctx, 'destroyKey', peer.id);
          await call(ctx.page, 'auditLog', { since: 0, limit: 10 });
          await call(ctx.page, 'verifyAuditLog');
          await call(ctx.page, 'auditAnchor');
          await approvedOrAsked(ctx, 'resetEnclave');

          const stored = await storedAudit(ctx);
          // Every operation above ran and was logged, allowed or refused. (Operations added to
          // the protocol later belong in this run too: add them to the calls and to RAN.)
          expect([...new Set(stored.map((e) => e.op))].sort()).toEqual([...RAN].sort());
          const text = JSON.stringify(stored);
          for (const secret of secrets) expect(text).not.toContain(secret);
          // The stored entries have exactly the documented fields.
          for (const entry of stored) {
            expect(Object.keys(entry).sort()).toEqual(ENTRY_FIELDS);
          }
        },
      },
    ],
  },
  {
    describe: 'when a schema 3 keystore is opened',
    tests: [
      {
        name: 'its audit entries move into batch records unchanged: the same entries, the chain still verifies and extends an anchor kept before',
        async run(ctx) {
          const anchor = await loggedWithAnchor(ctx);
          const before = await allEntries(ctx.page);
          expect(before.length).toBeGreaterThan(20);
          // Stop the key worker (a fresh app page, nothing connected), then rewrite as schema 3.
          await openHarness(ctx.page, ctx.urls.app);
          const bare = await bareEnclave(ctx.page, ctx.urls.enclave);
          const moved = await downgradeToV3(bare);
          expect(moved).toBeGreaterThanOrEqual(before.length);
          await ctx.page.evaluate(() => document.getElementById('bare')?.remove());
          await connectHarness(ctx.page);
          expect(await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).toMatchObject({
            ok: true,
          });
          expect(await keystoreShape(ctx)).toEqual({
            version: 4,
            stores: ['auditBatches', 'auditCheckpoints', 'auditHeads', 'keys', 'meta'],
          });
          const after = await allEntries(ctx.page);
          expect(after.slice(0, before.length)).toEqual(before);
          expect((await storedAudit(ctx)).slice(0, before.length)).toEqual(before);
          // The chain goes on from where schema 3 left it.
          const key = before.find((e) => e.op === 'sign')?.keyId as string;
          await call(ctx.page, 'sign', key, te.encode('after the migration'));
          const now = await call<Anchor>(ctx.page, 'auditAnchor');
          const entries = (await allEntries(ctx.page)).filter(
            (e) => e.seq >= anchor.checkpoint.checkpoint.seq,
          );
          expect(compareWithAnchor(anchor, entries, now)).toBeNull();
          expect(await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).toMatchObject({
            ok: true,
          });
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
          const jwt = await make('ES256', 'jwt');
          const rot = await make('HS256', 'mac');
          // Keys each tab revokes during its run (one per hundred calls).
          const doomed = [
            await Promise.all(Array.from({ length: perTab / 100 }, () => make('HS256', 'mac'))),
            await Promise.all(Array.from({ length: perTab / 100 }, () => make('HS256', 'mac'))),
          ];
          const env = await call<Uint8Array>(ctx.page, 'seal', opener.id, te.encode('x'));
          const bytes = (text: string) => encode(te.encode(text));
          // Per ten calls: 3 HMAC signatures, 2 seals, 1 open, 1 JWT, a wrong purpose
          // (OPERATION_NOT_ALLOWED), an unknown key (KEY_NOT_FOUND), and an open — or, once in
          // a hundred calls each, a rotation or a revocation instead.
          const plan = (tab: number): [string, Json[]][] =>
            Array.from({ length: perTab }, (_, i) => {
              switch (i % 10) {
                case 0:
                case 7:
                  return ['sign', [encode(mac.id), bytes(`d${i}`)]];
                case 1:
                  return ['sign', [encode(mac2.id), bytes(`d${i}`)]];
                case 2:
                case 8:
                  return ['seal', [encode(sealer.id), bytes(`p${i}`)]];
                case 3:
                  return ['open', [encode(env)]];
                case 4:
                  return ['signJwt', [encode(jwt.id), { claims: { n: i }, expiresIn: 60 }]];
                case 5:
                  return ['sign', [encode(sealer.id), bytes('wrong purpose')]];
                case 6:
                  return ['getKey', [encode('AAAAAAAAAAAAAAAAAAAAAA')]];
                default:
                  if (i % 100 === 9) return ['rotateKey', [encode(rot.id)]];
                  if (i % 100 === 59) {
                    const key = doomed[tab]?.[Math.floor(i / 100)] as { id: string };
                    return ['revokeKey', [encode(key.id)]];
                  }
                  return ['open', [encode(env)]];
              }
            });
          const headBefore = (await call<Page>(ctx.page, 'auditLog', { limit: 1 })).head.seq;
          const [a, b] = await inBoth([ctx.page, second], plan, 16);
          const all = [...(a as string[]), ...(b as string[])];
          const tally = (codes: readonly string[]) =>
            Object.fromEntries(
              [...new Set(codes)].sort().map((c) => [c, codes.filter((x) => x === c).length]),
            );
          expect(tally(all)).toEqual({
            KEY_NOT_FOUND: (perTab / 10) * 2,
            OPERATION_NOT_ALLOWED: (perTab / 10) * 2,
            ok: ((perTab * 8) / 10) * 2,
          });

          const after = (await allEntries(ctx.page)).filter((e) => e.seq > headBefore);
          expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => headBefore + i + 1));
          // (`auditLog` calls are audited too; they are left out of the count.)
          const entries = after.filter((e) => e.op !== 'auditLog');
          expect(entries.length).toBe(perTab * 2);
          // Every call accounted for exactly once, with its outcome.
          expect(tally(entries.map((e) => `${e.op} ${e.outcome}`))).toEqual({
            'getKey KEY_NOT_FOUND': (perTab / 10) * 2,
            'open ok': ((perTab * 2) / 10 - perTab / 50) * 2,
            'revokeKey ok': (perTab / 100) * 2,
            'rotateKey ok': (perTab / 100) * 2,
            'seal ok': ((perTab * 2) / 10) * 2,
            'sign OPERATION_NOT_ALLOWED': (perTab / 10) * 2,
            'sign ok': ((perTab * 3) / 10) * 2,
            'signJwt ok': (perTab / 10) * 2,
          });
          expect((await call<{ ok: boolean }>(ctx.page, 'verifyAuditLog')).ok).toBe(true);
          const keys = await call<
            { id: string; state: string; version: number; usage: { count: number } }[]
          >(ctx.page, 'listKeys');
          const info = (id: string) => keys.find((k) => k.id === id);
          const count = (id: string) => info(id)?.usage.count;
          // Counters equal to the calls of both tabs (plus the setup seal of `opener`).
          expect(count(mac.id)).toBe(((perTab * 2) / 10) * 2);
          expect(count(mac2.id)).toBe((perTab / 10) * 2);
          expect(count(sealer.id)).toBe(((perTab * 2) / 10) * 2);
          expect(count(opener.id)).toBe(((perTab * 2) / 10 - perTab / 50) * 2 + 1);
          expect(count(jwt.id)).toBe((perTab / 10) * 2);
          // Every rotation of both tabs made one version; every revocation took.
          expect(info(rot.id)?.version).toBe(1 + (perTab / 100) * 2);
          for (const key of doomed.flat()) expect(info(key.id)?.state).toBe('revoked');

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
          const flat = (await inBoth([ctx.page, second], () => six, 1)).flat();
          expect(flat.filter((o) => o === 'ok').length).toBe(10);
          expect(flat.filter((o) => o === 'RATE_LIMITED').length).toBe(2);
          // The refusals are in the log with their code.
          const limitedEntries = (await storedAudit(ctx)).filter((e) => e.keyId === limited.id);
          expect(tally(limitedEntries.map((e) => `${e.op} ${e.outcome}`))).toEqual({
            'sign RATE_LIMITED': 2,
            'sign ok': 10,
          });

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
      {
        name: 'key creations add up across tabs: at 10 a minute (lowered in this dev build), six asked in each of two tabs make ten keys',
        async run(ctx) {
          await connected(ctx);
          await lowerLimits(ctx, { keyCreationsPerMinute: 10 });
          const second = await ctx.newPage();
          await openHarness(second, ctx.urls.app);
          await connectHarness(second);
          const six: [string, Json[]][] = Array.from({ length: 6 }, () => [
            'generateKey',
            [{ alg: 'HS256', purpose: 'mac' }],
          ]);
          const flat = (await inBoth([ctx.page, second], () => six, 1)).flat();
          expect(flat.filter((o) => o === 'ok').length).toBe(10);
          expect(flat.filter((o) => o === 'RATE_LIMITED').length).toBe(2);
          // A refused creation made nothing, and is in the log with its code.
          expect((await call<unknown[]>(ctx.page, 'listKeys')).length).toBe(10);
          const created = (await storedAudit(ctx)).filter((e) => e.op === 'generateKey');
          expect(created.map((e) => e.outcome).sort()).toEqual([
            ...Array<string>(2).fill('RATE_LIMITED'),
            ...Array<string>(10).fill('ok'),
          ]);
        },
      },
      {
        name: 'refused requests add up across tabs: 70 in each of two tabs (120 a minute) throttle both, and every refusal is logged with its code',
        async run(ctx) {
          await connected(ctx);
          const key = await call<{ id: string }>(ctx.page, 'generateKey', {
            alg: 'HS256',
            purpose: 'mac',
          });
          const second = await ctx.newPage();
          await openHarness(second, ctx.urls.app);
          await connectHarness(second);
          // Fewer than each channel's own 120: only the count over both tabs runs out.
          const bad: [string, Json[]][] = Array.from({ length: 70 }, () => [
            'sign',
            [encode(42), encode(te.encode('x'))],
          ]);
          const refused = (await inBoth([ctx.page, second], () => bad, 8)).flat();
          const invalid = refused.filter((o) => o === 'INVALID_ARGUMENT').length;
          // Once a tab has seen the origin throttled, its later calls are refused before they run.
          expect(refused.every((o) => o === 'INVALID_ARGUMENT' || o === 'RATE_LIMITED')).toBe(true);
          expect(invalid).toBeGreaterThan(120);
          // Both tabs are throttled now: a valid use of a key is refused in each.
          for (const p of [ctx.page, second]) {
            const err = await callError(p, 'sign', key.id, te.encode('valid'));
            expect(err.code).toBe('RATE_LIMITED');
            expect(err.retryAfterMs).toBeGreaterThan(0);
          }
          // Every refusal is in the log with its code (read from IndexedDB: the channel is
          // throttled).
          const stored = await storedAudit(ctx);
          const signs = stored.filter((e) => e.op === 'sign');
          expect(signs.filter((e) => e.outcome === 'INVALID_ARGUMENT').length).toBe(invalid);
          expect(signs.filter((e) => e.outcome === 'RATE_LIMITED').length).toBe(
            refused.length - invalid + 2,
          );
          // The two valid calls, last in the log (refused before they named their key).
          expect(signs.slice(-2).map((e) => e.outcome)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
        },
      },
    ],
  },
];
