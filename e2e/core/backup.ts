/**
 * Backup and restore (docs/backup.md): a backup made with a passphrase or a recovery phrase
 * chosen in the enclave's dialog restores on a wiped keystore (a new device, as far as the
 * enclave can tell) with the same ids, kids, purposes and versions; signatures made before
 * verify and envelopes sealed before open; nothing of the secret reaches the app page. A wrong
 * secret, a truncated or edited file, another origin's file, a replayed file and a write that
 * fails midway each end with their code and leave the keystore as it was.
 * Cross-profile and cross-browser restores: e2e/backup-devices.spec.ts.
 */

import { expectError, NEEDS_INPUT, outcome, start } from './consent';
import {
  type CoreContext,
  call,
  connectHarness,
  enclaveFrame,
  openHarness,
  sleep,
  waitFor,
} from './harness';
import { type CoreSuite, expect } from './suite';
import {
  answer,
  enable,
  expectAuditedWithoutSecrets,
  expectNoSecretInMessages,
  frameOf,
  NEW,
  phraseSecrets,
  storedRecords,
  UNLOCK,
  withSecrets,
} from './vault';

const BACKUP_PASSPHRASE = 'a backup passphrase, kept apart';
const SETTLE_MS = 900;
interface Key {
  id: string;
  kid: string;
  purpose: string;
  version: number;
  publicJwk: JsonWebKey | null;
  provenance: { source: string; pageKnowable: boolean; from?: { keyId: string; source: string } };
  extractable: boolean;
  backup: boolean;
}

interface Made {
  sign: Key;
  jwt: Key;
  seal: Key;
  data: Uint8Array;
  signature: Uint8Array;
  envelope: Uint8Array;
}

async function connected({ page, urls }: CoreContext): Promise<void> {
  await openHarness(page, urls.app);
  await connectHarness(page);
}

/** Keys that may be backed up, one rotated, with a signature and an envelope made before. */
async function makeKeys(ctx: CoreContext): Promise<Made> {
  const sign = await call<Key>(ctx.page, 'generateKey', {
    alg: 'EdDSA',
    purpose: 'sign',
    label: 'identity',
    backup: true,
  });
  const jwt = await call<Key>(ctx.page, 'generateKey', {
    alg: 'ES256',
    purpose: 'jwt',
    backup: true,
  });
  let seal = await call<Key>(ctx.page, 'generateKey', {
    alg: 'A256GCM',
    purpose: 'seal',
    backup: true,
  });
  const data = new TextEncoder().encode('made before the backup');
  const signature = await call<Uint8Array>(ctx.page, 'sign', sign.id, data);
  const envelope = await call<Uint8Array>(ctx.page, 'seal', seal.id, data);
  seal = await call<Key>(ctx.page, 'rotateKey', seal.id);
  expect(seal.version).toBe(2);
  return { sign, jwt, seal, data, signature, envelope };
}

/** The export dialog's title and its list of the keys that leave. */
async function exportDialogText(ctx: CoreContext): Promise<{ title: string; keys: string }> {
  const frame = frameOf(ctx);
  await waitFor(
    () => frame.evaluate(() => document.documentElement.dataset.secret ?? null),
    'open',
  );
  return frame.evaluate(() => ({
    title: document.getElementById('secret-title')?.textContent ?? '',
    keys: document.getElementById('secret-keys')?.textContent ?? '',
  }));
}

/** The export dialog names the app's origin and exactly the keys in `leaving`, not `staying`. */
function expectNamed(
  ctx: CoreContext,
  shown: { title: string; keys: string },
  leaving: Key[],
  staying: Key[],
): void {
  expect(shown.title).toContain(new URL(ctx.urls.app).origin);
  expect(shown.keys).toContain(`${leaving.length} key(s) leave in the backup file`);
  for (const key of leaving) expect(shown.keys).toContain(key.id);
  for (const key of staying) expect(shown.keys).not.toContain(key.id);
}

/**
 * Export with a passphrase typed twice in the enclave; with `named`, first check that the
 * dialog names the origin and the keys that leave.
 */
async function exportWithPassphrase(
  ctx: CoreContext,
  options: Record<string, unknown> = {},
  named?: { leaving: Key[]; staying: Key[] },
): Promise<Uint8Array> {
  const ticket = await start(ctx.page, 'exportBackup', options);
  if (named) expectNamed(ctx, await exportDialogText(ctx), named.leaving, named.staying);
  await answer(ctx, NEW(BACKUP_PASSPHRASE));
  const result = (await outcome(ctx.page, ticket, 30_000)) as {
    ok: boolean;
    value: Uint8Array;
  };
  expect(result.ok, JSON.stringify(result)).toBe(true);
  return result.value;
}

/** Wipe the keystore of the enclave origin (a new device, as the enclave sees it). */
async function wipe(ctx: CoreContext): Promise<void> {
  await frameOf(ctx).evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction(['keys', 'meta'], 'readwrite');
          tx.objectStore('keys').clear();
          tx.objectStore('meta').clear();
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
  await ctx.page.reload();
  await connected(ctx);
  expect(await call<Key[]>(ctx.page, 'listKeys')).toEqual([]);
}

/** Import, typing `values` into the backup-secret dialog. */
async function importWith(
  ctx: CoreContext,
  file: Uint8Array,
  values: Record<string, string>,
  options: Record<string, unknown> = {},
): Promise<unknown> {
  return withSecrets(ctx, 'importBackup', [file, options], [values]);
}

/**
 * Answer the enclave's "keys exist here" dialog with `choice` (a click on its radio button, then
 * on Continue); returns the dialog's list of the clashing keys.
 */
async function chooseExisting(ctx: CoreContext, choice: 'skip' | 'replace'): Promise<string> {
  const frame = frameOf(ctx);
  const listed = await waitFor(
    () => frame.evaluate(() => document.getElementById('secret-existing') !== null),
    true,
  );
  expect(listed, 'the skip-or-replace dialog did not open').toBe(true);
  const text = await frame.evaluate(
    () => document.getElementById('secret-existing')?.textContent ?? '',
  );
  await sleep(SETTLE_MS);
  await frame.click(`#secret-${choice}`);
  await sleep(SETTLE_MS);
  await frame.click('#secret-submit');
  await waitFor(
    () => frame.evaluate(() => document.getElementById('secret-existing') === null),
    true,
  );
  return text;
}

/** What the restored keys must be, compared with the originals. */
async function expectRestored(ctx: CoreContext, made: Made): Promise<void> {
  const keys = await call<Key[]>(ctx.page, 'listKeys');
  for (const original of [made.sign, made.jwt, made.seal]) {
    const restored = keys.find((k) => k.id === original.id);
    expect(restored, original.id).toBeDefined();
    expect(restored).toMatchObject({
      kid: original.kid,
      purpose: original.purpose,
      version: original.version,
      publicJwk: original.publicJwk,
      extractable: false,
      backup: true,
      provenance: { source: 'restored', pageKnowable: true, from: { keyId: original.id } },
    });
  }
  // A signature made before verifies; a new one verifies with the original public key.
  expect(await call(ctx.page, 'verify', made.sign.id, made.data, made.signature)).toBe(true);
  const fresh = await call<Uint8Array>(ctx.page, 'sign', made.sign.id, made.data);
  const { webcrypto } = await import('node:crypto');
  const pub = await webcrypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: made.sign.publicJwk?.x },
    'Ed25519',
    false,
    ['verify'],
  );
  expect(await webcrypto.subtle.verify('Ed25519', pub, fresh, made.data)).toBe(true);
  // The envelope sealed under version 1, before the rotation and the backup, opens.
  const opened = await call<Uint8Array>(ctx.page, 'open', made.envelope);
  expect(new TextDecoder().decode(opened)).toBe('made before the backup');
  // KeyInfo's `extractable` is the policy, not the CryptoKey: ask the key worker itself (a
  // dev-only probe, keystore/store.ts `dev:probe-extractable`) whether each restored version's
  // CryptoKey, as unwrapped in its memory, is extractable.
  for (const original of [made.sign, made.jwt, made.seal]) {
    expect(await probeExtractable(ctx, original.id), original.id).toEqual(
      Array.from({ length: original.version }, () => false),
    );
  }
}

/**
 * Dev builds only: whether each loaded version (primary first) of key `id` is an extractable
 * `CryptoKey` in the key worker's memory; `null` when no worker answered within 10 s.
 */
async function probeExtractable(ctx: CoreContext, id: string): Promise<boolean[] | null> {
  return frameOf(ctx).evaluate(
    (keyId: string) =>
      new Promise<boolean[] | null>((resolve) => {
        const channel = new BroadcastChannel('dev:probe-extractable');
        const timer = setTimeout(() => {
          channel.close();
          resolve(null);
        }, 10_000);
        channel.onmessage = (event: MessageEvent<{ id?: unknown; extractable?: unknown }>) => {
          if (event.data.id !== keyId || !Array.isArray(event.data.extractable)) return;
          clearTimeout(timer);
          channel.close();
          resolve(event.data.extractable as boolean[]);
        };
        channel.postMessage({ probe: keyId });
      }),
    id,
  );
}

async function keyIds(ctx: CoreContext): Promise<string[]> {
  return (await call<Key[]>(ctx.page, 'listKeys')).map((k) => k.id).sort();
}

/** The backup suites. */
export const BACKUP: readonly CoreSuite[] = [
  {
    describe: 'backup and restore',
    tests: [
      {
        name: 'a passphrase backup restores on a wiped keystore: same ids, kids, versions; old signatures verify, old envelopes open',
        skip: NEEDS_INPUT,
        async run(ctx) {
          await connected(ctx);
          const made = await makeKeys(ctx);
          const plain = await call<Key>(ctx.page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' });
          const file = await exportWithPassphrase(
            ctx,
            {},
            { leaving: [made.sign, made.jwt, made.seal], staying: [plain] },
          );
          const text = new TextDecoder().decode(file);
          expect(JSON.parse(text)).toMatchObject({ format: 'strongroom-backup', version: 1 });
          // Only keys created with backup: true are in it.
          expect(text).not.toContain(plain.id);
          // The export (the passphrase typed twice) checked before wipe() reloads the page and
          // empties what the harness recorded.
          await expectNoSecretInMessages(ctx, [BACKUP_PASSPHRASE], made.sign.id);
          await wipe(ctx);
          const result = (await importWith(ctx, file, {
            'secret-passphrase': BACKUP_PASSPHRASE,
          })) as {
            ok: boolean;
            value: { imported: string[]; skipped: string[] };
          };
          expect(result.ok, JSON.stringify(result)).toBe(true);
          expect([...result.value.imported].sort()).toEqual(
            [made.sign.id, made.jwt.id, made.seal.id].sort(),
          );
          await expectRestored(ctx, made);
          await expectNoSecretInMessages(ctx, [BACKUP_PASSPHRASE], made.sign.id);
          await expectAuditedWithoutSecrets(ctx, ['importBackup'], [BACKUP_PASSPHRASE]);
        },
      },
      {
        name: 'a recovery phrase shown and confirmed in the enclave restores the keys; the phrase never reaches the page',
        skip: NEEDS_INPUT,
        async run(ctx) {
          await connected(ctx);
          const made = await makeKeys(ctx);
          const ticket = await start(ctx.page, 'exportBackup', { secret: 'recovery-phrase' });
          const frame = frameOf(ctx);
          expectNamed(ctx, await exportDialogText(ctx), [made.sign, made.jwt, made.seal], []);
          // The person reads the words in the enclave and types back the ones asked for.
          const shown = await frame.evaluate(() => ({
            words: Array.from(document.querySelectorAll('#secret-words li')).map(
              (li) => li.textContent ?? '',
            ),
            asked: Array.from(document.querySelectorAll('#secret input')).map((i) => i.id),
          }));
          expect(shown.words).toHaveLength(24);
          expect(shown.asked).toHaveLength(3);
          const values: Record<string, string> = {};
          for (const id of shown.asked) {
            const position = Number(id.replace('secret-word-', '')) - 1;
            values[id] = shown.words[position] ?? '';
          }
          await sleep(SETTLE_MS);
          // Clicked (which scrolls the field into view: the words fill the dialog's scrolling
          // text), then typed. The next fields are reached with Tab, as a person would: one
          // click per field made this flow outlast the test build's 8 s dialog timeout on a
          // loaded machine.
          const typeInto = async (id: string, text: string) => {
            await frame.click(`#${id}`);
            await ctx.page.type(text);
          };
          // One word wrong: refused in the dialog, which stays open for another try.
          const [firstId = '', firstWord = ''] = Object.entries(values)[0] ?? [];
          const typed = Object.entries(values).map(([id, text]) =>
            id === firstId ? (firstWord === 'zoo' ? 'abandon' : 'zoo') : text,
          );
          for (const [i, text] of typed.entries()) {
            if (i === 0) await typeInto(firstId, text);
            else {
              await ctx.page.press('Tab');
              await ctx.page.type(text);
            }
          }
          // Each field holds what was typed into it (the Tab order is the fields' order).
          expect(
            await frame.evaluate(
              (ids: string[]) =>
                ids.map((id) => (document.getElementById(id) as HTMLInputElement | null)?.value),
              Object.keys(values),
            ),
          ).toEqual(typed);
          await frame.click('#secret-submit');
          expect(
            await waitFor(
              () => frame.evaluate(() => document.getElementById('secret-error')?.textContent),
              'Some words do not match the phrase above.',
            ),
          ).toBe('Some words do not match the phrase above.');
          expect(
            await frame.evaluate(() => ({
              open: document.documentElement.dataset.secret ?? null,
              words: document.querySelectorAll('#secret-words li').length,
            })),
          ).toEqual({ open: 'open', words: 24 });
          expect(await ctx.page.evaluate((t) => window.sr.settled(t), ticket)).toMatchObject({
            pending: true,
          });
          await frame.evaluate((field: string) => {
            const input = document.getElementById(field) as HTMLInputElement | null;
            if (input) input.value = '';
          }, firstId);
          await typeInto(firstId, firstWord);
          await frame.click('#secret-submit');
          const exported = (await outcome(ctx.page, ticket, 30_000)) as {
            ok: boolean;
            value: Uint8Array;
          };
          expect(exported.ok, JSON.stringify(exported)).toBe(true);
          const phrase = shown.words.join(' ');
          // The export (24 words shown, three typed back) checked before wipe() reloads the page
          // and empties what the harness recorded.
          await expectNoSecretInMessages(ctx, phraseSecrets(shown.words), made.sign.id);
          await wipe(ctx);
          // A phrase with one word swapped is not this backup's.
          const wrong = [...shown.words];
          [wrong[0], wrong[1]] = [wrong[1] ?? '', wrong[0] ?? ''];
          expectError(
            await importWith(ctx, exported.value, { 'secret-phrase': wrong.join(' ') }),
            'BACKUP_DECRYPT_FAILED',
          );
          expect(await keyIds(ctx)).toEqual([]);
          expect(await importWith(ctx, exported.value, { 'secret-phrase': phrase })).toMatchObject({
            ok: true,
          });
          await expectRestored(ctx, made);
          await expectNoSecretInMessages(ctx, phraseSecrets(shown.words), made.sign.id);
          await expectAuditedWithoutSecrets(ctx, ['importBackup'], [phrase]);
        },
      },
      {
        name: 'exportBackup({ keys }) backs up only the keys named: the dialog and the file hold that one of three, and only it restores',
        skip: NEEDS_INPUT,
        async run(ctx) {
          await connected(ctx);
          const made = await makeKeys(ctx);
          const file = await exportWithPassphrase(
            ctx,
            { keys: [made.sign.id] },
            { leaving: [made.sign], staying: [made.jwt, made.seal] },
          );
          const text = new TextDecoder().decode(file);
          const parsed = JSON.parse(text) as { keys: { id: string; kid: string }[] };
          expect(parsed.keys.map((k) => [k.id, k.kid])).toEqual([[made.sign.id, made.sign.kid]]);
          for (const other of [made.jwt, made.seal]) expect(text).not.toContain(other.id);
          await wipe(ctx);
          const result = (await importWith(ctx, file, {
            'secret-passphrase': BACKUP_PASSPHRASE,
          })) as { ok: boolean; value: { imported: string[] } };
          expect(result.ok, JSON.stringify(result)).toBe(true);
          expect(result.value.imported).toEqual([made.sign.id]);
          expect(await keyIds(ctx)).toEqual([made.sign.id]);
          expect(await call(ctx.page, 'verify', made.sign.id, made.data, made.signature)).toBe(
            true,
          );
        },
      },
      {
        name: 'a wrong passphrase, a truncated file, an edited file and another origin’s file are refused; nothing is written',
        skip: NEEDS_INPUT,
        async run(ctx) {
          await connected(ctx);
          await makeKeys(ctx);
          const file = await exportWithPassphrase(ctx);
          await wipe(ctx);
          expectError(
            await importWith(ctx, file, { 'secret-passphrase': 'not the backup passphrase' }),
            'BACKUP_DECRYPT_FAILED',
          );
          // Refused before anyone is asked: no dialog opens for a file that is not valid.
          const truncated = await outcome(
            ctx.page,
            await start(ctx.page, 'importBackup', file.subarray(0, file.length - 40)),
          );
          expectError(truncated, 'BACKUP_INVALID');
          const text = new TextDecoder().decode(file);
          const edited = new TextEncoder().encode(text.replace('"identity"', '"identitx"'));
          const editedResult = await importWith(ctx, edited, {
            'secret-passphrase': BACKUP_PASSPHRASE,
          });
          expectError(editedResult, 'BACKUP_INVALID');
          const foreign = new TextEncoder().encode(
            text.replace(`"origin":"${ctx.urls.app}"`, '"origin":"https://other.example"'),
          );
          const foreignResult = await outcome(
            ctx.page,
            await start(ctx.page, 'importBackup', foreign),
          );
          expectError(foreignResult, 'BACKUP_INVALID');
          expect((foreignResult as { error: { message: string } }).error.message).toContain(
            'origin',
          );
          expect(await keyIds(ctx)).toEqual([]);
        },
      },
      {
        name: 'importing over existing keys asks the person (skip or replace, naming the keys); the app may only choose skip alone, and replace still needs consent',
        skip: NEEDS_INPUT,
        timeoutMs: 120_000,
        async run(ctx) {
          await connected(ctx);
          const made = await makeKeys(ctx);
          const file = await exportWithPassphrase(ctx);
          // After the export the signing key is rotated: the file is now an older backup.
          expect((await call<Key>(ctx.page, 'rotateKey', made.sign.id)).version).toBe(2);
          const before = await call<Key[]>(ctx.page, 'listKeys');
          const ids = [made.sign.id, made.jwt.id, made.seal.id];
          // The app did not choose: the enclave asks, naming the clashing keys. Skip (a
          // replayed backup then changes nothing).
          let ticket = await start(ctx.page, 'importBackup', file);
          await answer(ctx, UNLOCK(BACKUP_PASSPHRASE));
          const listed = await chooseExisting(ctx, 'skip');
          expect(listed).toContain('3 key(s) of the backup exist here');
          for (const id of ids) expect(listed).toContain(id);
          expect(listed).toContain('identity');
          // The dialog says which keys the replayed file holds in an older version.
          expect(listed).toContain("the backup's version 1 is older than version 2 here");
          expect(listed.match(/is older than/g)).toHaveLength(1);
          const replayed = (await outcome(ctx.page, ticket, 30_000)) as {
            ok: boolean;
            value: { imported: string[]; skipped: string[]; replaced: string[] };
          };
          expect(replayed).toMatchObject({ ok: true, value: { imported: [], replaced: [] } });
          expect([...replayed.value.skipped].sort()).toEqual([...ids].sort());
          // Skip keeps the newer version: the rotated key is still at version 2.
          expect(await call<Key[]>(ctx.page, 'listKeys')).toEqual(before);
          expect(before.find((k) => k.id === made.sign.id)?.version).toBe(2);
          // `onExisting: 'skip'` from the app: no question (it replaces nothing).
          const skipped = (await importWith(
            ctx,
            file,
            { 'secret-passphrase': BACKUP_PASSPHRASE },
            { onExisting: 'skip' },
          )) as { ok: boolean; value: { skipped: string[] } };
          expect(skipped.ok, JSON.stringify(skipped)).toBe(true);
          expect(skipped.value.skipped).toHaveLength(3);
          expect(await call<Key[]>(ctx.page, 'listKeys')).toEqual(before);
          // The person chooses replace in the enclave's dialog.
          ticket = await start(ctx.page, 'importBackup', file);
          await answer(ctx, UNLOCK(BACKUP_PASSPHRASE));
          await chooseExisting(ctx, 'replace');
          const chosen = (await outcome(ctx.page, ticket, 30_000)) as {
            ok: boolean;
            value: { imported: string[]; replaced: string[] };
          };
          expect(chosen.ok, JSON.stringify(chosen)).toBe(true);
          expect([...chosen.value.replaced].sort()).toEqual([...ids].sort());
          await expectRestored(ctx, made);

          // `onExisting: 'replace'` from the app: the person must still approve.
          ticket = await start(ctx.page, 'importBackup', file, { onExisting: 'replace' });
          await answer(ctx, UNLOCK(BACKUP_PASSPHRASE));
          const frame = enclaveFrame(ctx.page, ctx.urls.enclave);
          await waitFor(
            () => frame.evaluate(() => document.documentElement.dataset.consent ?? null),
            'open',
          );
          const consent = await frame.evaluate(
            () => document.getElementById('consent')?.textContent ?? '',
          );
          expect(consent).toContain('3 key(s) here are destroyed');
          for (const id of ids) expect(consent).toContain(id);
          await sleep(SETTLE_MS);
          await frame.click('#consent-allow');
          const replaced = (await outcome(ctx.page, ticket, 30_000)) as {
            ok: boolean;
            value: { replaced: string[] };
          };
          expect(replaced.ok, JSON.stringify(replaced)).toBe(true);
          expect(replaced.value.replaced).toHaveLength(3);
          await expectRestored(ctx, made);
        },
      },
      {
        name: 'a restore that fails midway (a key id taken) writes nothing',
        skip: NEEDS_INPUT,
        async run(ctx) {
          await connected(ctx);
          const made = await makeKeys(ctx);
          const file = await exportWithPassphrase(ctx);
          await wipe(ctx);
          // The keystore is not empty: keys made here before the restore must stay as they are.
          const kept = [
            await call<Key>(ctx.page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' }),
            await call<Key>(ctx.page, 'generateKey', {
              alg: 'ES256',
              purpose: 'sign',
              backup: true,
            }),
          ];
          const before = await call<Key[]>(ctx.page, 'listKeys');
          // Another origin's record holding the id of the backup's last key.
          await frameOf(ctx).evaluate(
            (id: string) =>
              new Promise<void>((resolve, reject) => {
                const req = indexedDB.open('strongroom');
                req.onerror = () => reject(req.error);
                req.onsuccess = () => {
                  const db = req.result;
                  const tx = db.transaction('keys', 'readwrite');
                  tx.objectStore('keys').put({ id, owner: 'https://other.example' });
                  tx.oncomplete = () => {
                    db.close();
                    resolve();
                  };
                  tx.onerror = () => reject(tx.error);
                };
              }),
            made.seal.id,
          );
          const storedBefore = await storedRecords(ctx);
          const result = await importWith(ctx, file, { 'secret-passphrase': BACKUP_PASSPHRASE });
          expectError(result, 'OPERATION_NOT_ALLOWED');
          expect(await call<Key[]>(ctx.page, 'listKeys')).toEqual(before);
          expect(await storedRecords(ctx)).toEqual(storedBefore);
          for (const key of kept) {
            // EdDSA and ES256 (IEEE P1363) signatures are both 64 bytes.
            const signature = await call<Uint8Array>(
              ctx.page,
              'sign',
              key.id,
              new TextEncoder().encode('still here'),
            );
            expect(signature.length).toBe(64);
          }
        },
      },
      {
        name: 'only keys created with backup: true leave; a locked vault backs up nothing; a restore into a vault is sealed under it',
        skip: NEEDS_INPUT,
        async run(ctx) {
          await connected(ctx);
          const plain = await call<Key>(ctx.page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' });
          expectError(
            await outcome(ctx.page, await start(ctx.page, 'exportBackup', { keys: [plain.id] })),
            'OPERATION_NOT_ALLOWED',
          );
          expectError(
            await outcome(ctx.page, await start(ctx.page, 'exportBackup')),
            'OPERATION_NOT_ALLOWED',
          );
          await wipe(ctx);
          const made = await makeKeys(ctx);
          const file = await exportWithPassphrase(ctx);
          await wipe(ctx);
          await enable(ctx);
          await call(ctx.page, 'lock');
          expectError(
            await outcome(ctx.page, await start(ctx.page, 'importBackup', file)),
            'LOCKED',
          );
          await withSecrets(ctx, 'unlock', [], [UNLOCK('correct horse battery staple')]);
          expect(
            await importWith(ctx, file, { 'secret-passphrase': BACKUP_PASSPHRASE }),
          ).toMatchObject({ ok: true });
          for (const record of await storedRecords(ctx)) {
            expect(record).toMatchObject({ atRestKey: 'vault', hasKey: false, retiredKeys: 0 });
          }
          await expectRestored(ctx, made);
          await call(ctx.page, 'lock');
          expectError(await outcome(ctx.page, await start(ctx.page, 'exportBackup')), 'LOCKED');
        },
      },
    ],
  },
];
