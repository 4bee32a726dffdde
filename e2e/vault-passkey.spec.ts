/**
 * Vault mode with a passkey (WebAuthn PRF) as an unlock method, in Chromium with the browser's
 * own virtual authenticator (CDP `WebAuthn.addVirtualAuthenticator`, `hasPrf: true`): the
 * enclave document creates the passkey and obtains its PRF output on the person's click in the
 * enclave's dialog (in the cross-site topology the enclave is an out-of-process frame; the
 * virtual authenticator of the page's CDP session serves it), the worker derives the KEK with
 * HKDF and wraps the master key. The PRF output never reaches the app page; a PRF output that
 * does not open the vault (another authenticator's credential, another PRF input) is
 * `UNLOCK_FAILED` and counted; an authenticator without PRF changes nothing.
 */
import type { CDPSession, Frame, Page } from '@playwright/test';
import { expectError, outcome, start } from './core/consent';
import { type CoreContext, call, sleep, waitFor } from './core/harness';
import {
  answer,
  enable,
  expectNoSecretInMessages,
  frameOf,
  PASSPHRASE,
  UNLOCK,
  withSecrets,
} from './core/vault';
import { connectHarness, enclaveFrame, expect, openHarness, test } from './support/test';

/** Longer than the dialog's minimum time before a click counts. */
const SETTLE_MS = 900;

interface Vault {
  enabled: boolean;
  locked: boolean;
  methods: { id: string; method: string; label: string }[];
}

/** A stored enrollment as the `meta` store keeps it (bytes as arrays of numbers). */
interface StoredEnrollment {
  id: string;
  method: string;
  kdf: { name: string; credentialId?: number[]; prfSalt?: number[]; salt: number[] };
}

test.skip(
  ({ browserName }) => browserName !== 'chromium',
  'a virtual authenticator with PRF exists only in Chromium (CDP WebAuthn domain); Firefox ' +
    'delegates WebAuthn to the frame (measured) but Playwright cannot give it an authenticator, ' +
    'and WebKitGTK has no WebAuthn (docs/vault.md, "Passkeys per browser")',
);

/** A CTAP2 platform authenticator with user verification; `prf`: whether it supports PRF. */
async function addAuthenticator(
  session: CDPSession,
  prf = true,
): Promise<{ authenticatorId: string }> {
  await session.send('WebAuthn.enable');
  return session.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      hasPrf: prf,
      automaticPresenceSimulation: true,
    },
  });
}

/** Credential ids (standard base64, as CDP gives them) on an authenticator. */
async function credentialIds(session: CDPSession, authenticatorId: string): Promise<string[]> {
  const { credentials } = await session.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials.map((c) => c.credentialId);
}

function toBase64(bytes: number[]): string {
  return Buffer.from(bytes).toString('base64');
}

/** The origin's vault enrollments, read from the enclave origin's IndexedDB. */
function enrollments(frame: Frame): Promise<StoredEnrollment[]> {
  return frame.evaluate(
    () =>
      new Promise<StoredEnrollment[]>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction('meta').objectStore('meta').getAll();
          all.onsuccess = () => {
            db.close();
            const vault = (
              all.result as { name: string; vault?: { enrollments: unknown[] } }[]
            ).find((e) => e.name.startsWith('vault:'))?.vault;
            const plain = (value: unknown): unknown =>
              value instanceof Uint8Array
                ? [...value]
                : value && typeof value === 'object'
                  ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
                  : value;
            resolve(((vault?.enrollments ?? []) as unknown[]).map(plain) as StoredEnrollment[]);
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

/** Edit the stored passkey enrollment's `credentialId` or `prfSalt` (what a test may tamper). */
function tamperPasskey(
  frame: Frame,
  change: { credentialId?: number[]; prfSalt?: number[] },
): Promise<void> {
  return frame.evaluate(
    (given) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction('meta', 'readwrite');
          const store = tx.objectStore('meta');
          const all = store.getAll();
          all.onsuccess = () => {
            for (const entry of all.result as {
              name: string;
              vault?: { enrollments: { kdf: Record<string, unknown> }[] };
            }[]) {
              if (!entry.name.startsWith('vault:')) continue;
              for (const e of entry.vault?.enrollments ?? []) {
                if (e.kdf.name !== 'PRF-HKDF-SHA-256') continue;
                if (given.credentialId) e.kdf.credentialId = new Uint8Array(given.credentialId);
                if (given.prfSalt) e.kdf.prfSalt = new Uint8Array(given.prfSalt);
              }
              store.put(entry);
            }
          };
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    change,
  );
}

/** The stored count of failed unlocks. */
function failureCount(frame: Frame): Promise<number> {
  return frame.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction('meta').objectStore('meta').getAll();
          all.onsuccess = () => {
            db.close();
            const vault = (
              all.result as { name: string; vault?: { failures: { count: number } } }[]
            ).find((e) => e.name.startsWith('vault:'))?.vault;
            resolve(vault?.failures?.count ?? -1);
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

/** Wait for the secret dialog, let it settle, click `selector` in it. */
async function clickInDialog(ctx: CoreContext, page: Page, selector: string): Promise<void> {
  const frame = frameOf(ctx);
  await waitFor(
    () => frame.evaluate(() => document.documentElement.dataset.secret ?? null),
    'open',
  );
  await (await enclaveFrame(page, ctx.urls.enclave)).locator(selector).waitFor();
  await sleep(SETTLE_MS);
  await frame.click(selector);
}

/**
 * Edit the stored enrollment (what a test may tamper with), then reload: a running key worker
 * keeps the vault state it read, a fresh one reads the edited state.
 */
async function tamperAndReload(
  page: Page,
  core: CoreContext,
  change: { credentialId?: number[]; prfSalt?: number[] },
): Promise<Frame> {
  await tamperPasskey(await enclaveFrame(page, core.urls.enclave), change);
  await page.reload();
  return connected(page, core);
}

/** `addUnlockMethod({ method: 'passkey' })`: unlock with the passphrase, then create. */
async function addPasskey(ctx: CoreContext, page: Page, label = 'laptop'): Promise<unknown> {
  const ticket = await start(ctx.page, 'addUnlockMethod', { method: 'passkey', label });
  // `answer` returns once the passphrase dialog is gone; the passkey dialog may already be
  // open then (waiting for a `closed` state in between could outlast the dialog's timeout).
  await answer(ctx, UNLOCK(PASSPHRASE));
  await clickInDialog(ctx, page, '#secret-submit');
  return outcome(ctx.page, ticket, 30_000);
}

/** `unlock()` with "Use passkey". */
async function unlockWithPasskey(ctx: CoreContext, page: Page): Promise<unknown> {
  const ticket = await start(ctx.page, 'unlock');
  await clickInDialog(ctx, page, '#secret-passkey');
  return outcome(ctx.page, ticket, 30_000);
}

async function signs(ctx: CoreContext, keyId: string): Promise<unknown> {
  const ticket = await start(ctx.page, 'sign', keyId, new TextEncoder().encode('hello'));
  return outcome(ctx.page, ticket);
}

async function connected(page: Page, core: CoreContext): Promise<Frame> {
  await openHarness(page, core.urls.app);
  await connectHarness(page);
  return enclaveFrame(page, core.urls.enclave);
}

test('the iframe delegates WebAuthn to the enclave origin only, and the enclave allows it for itself', async ({
  page,
  core,
}) => {
  const frame = await connected(page, core);
  const allow = await page.evaluate(
    () => document.querySelector('iframe[title="Strongroom enclave"]')?.getAttribute('allow') ?? '',
  );
  const origin = new URL(core.urls.enclave).origin;
  expect(allow).toBe(`publickey-credentials-get ${origin}; publickey-credentials-create ${origin}`);
  const policy = await frame.evaluate(() => {
    const fp = (document as { featurePolicy?: { allowsFeature(f: string): boolean } })
      .featurePolicy;
    return ['publickey-credentials-get', 'publickey-credentials-create', 'camera', 'usb'].map(
      (f) => fp?.allowsFeature(f) ?? null,
    );
  });
  expect(policy).toEqual([true, true, false, false]);
});

test('enroll a passkey, lock, unlock with it: keys work, and its PRF output never reaches the page', async ({
  page,
  context,
  core,
}) => {
  const frame = await connected(page, core);
  const session = await context.newCDPSession(page);
  const { authenticatorId } = await addAuthenticator(session);
  await enable(core);
  const key = await call<{ id: string }>(core.page, 'generateKey', {
    alg: 'ES256',
    purpose: 'sign',
  });

  const added = (await addPasskey(core, page)) as { ok: boolean; value: Vault };
  expect(added.ok, JSON.stringify(added)).toBe(true);
  expect(added.value.methods.map((m) => [m.method, m.label])).toEqual([
    ['passphrase', 'passphrase'],
    ['passkey', 'laptop'],
  ]);
  // The enrollment names the credential the authenticator now holds, with a 32-byte PRF input.
  const stored = (await enrollments(frame)).find((e) => e.method === 'passkey');
  expect(stored?.kdf.name).toBe('PRF-HKDF-SHA-256');
  expect(stored?.kdf.prfSalt).toHaveLength(32);
  expect(await credentialIds(session, authenticatorId)).toEqual([
    toBase64(stored?.kdf.credentialId ?? []),
  ]);

  // The PRF output for the enrollment's input, as the test (not the app) can ask the
  // authenticator for it from the enclave frame: in no form in any message the page received.
  const prf = await enclaveFrame(page, core.urls.enclave).then((f) =>
    f.evaluate(
      async (input) => {
        const credential = (await navigator.credentials.get({
          publicKey: {
            challenge: new Uint8Array(32),
            rpId: location.hostname,
            allowCredentials: [{ type: 'public-key', id: new Uint8Array(input.id) }],
            userVerification: 'required',
            extensions: {
              prf: { eval: { first: new Uint8Array(input.salt) } },
            } as AuthenticationExtensionsClientInputs,
          },
        })) as PublicKeyCredential;
        const out = credential.getClientExtensionResults() as {
          prf?: { results?: { first?: ArrayBuffer } };
        };
        return [...new Uint8Array(out.prf?.results?.first ?? new ArrayBuffer(0))];
      },
      { id: stored?.kdf.credentialId ?? [], salt: stored?.kdf.prfSalt ?? [] },
    ),
  );
  expect(prf).toHaveLength(32);
  const forms = [
    Buffer.from(prf).toString('base64url'),
    Buffer.from(prf).toString('base64'),
    Buffer.from(prf).toString('hex'),
    prf.join(','),
    prf.map((b, i) => `"${i}":${b}`).join(','),
  ];

  expect(await call<Vault>(core.page, 'lock')).toMatchObject({ locked: true });
  expectError(await signs(core, key.id), 'LOCKED');
  expect(await unlockWithPasskey(core, page)).toMatchObject({ ok: true, value: { locked: false } });
  expect(await signs(core, key.id)).toMatchObject({ ok: true });
  // Before the reload below empties what the page recorded: the enrollment (addPasskey) and the
  // first passkey unlock carried the PRF output in no form.
  await expectNoSecretInMessages(core, forms, added.value.methods[1]?.id ?? 'no enrollment id');

  // A fresh worker (reload) starts locked, and the passkey opens it again.
  await page.reload();
  await connected(page, core);
  expectError(await signs(core, key.id), 'LOCKED');
  expect(await unlockWithPasskey(core, page)).toMatchObject({ ok: true });
  expect(await signs(core, key.id)).toMatchObject({ ok: true });

  // After the reload: what the page recorded since is the passkey unlock, whose reply names the
  // enrollments.
  await expectNoSecretInMessages(core, forms, added.value.methods[1]?.id ?? 'no enrollment id');
});

test('enableVault with a passkey only: the unlock dialog offers the passkey alone', async ({
  page,
  context,
  core,
}) => {
  const frame = await connected(page, core);
  await addAuthenticator(await context.newCDPSession(page));
  const ticket = await start(core.page, 'enableVault', { method: 'passkey' });
  await clickInDialog(core, page, '#secret-submit');
  const enabled = (await outcome(core.page, ticket, 30_000)) as { ok: boolean; value: Vault };
  expect(enabled.ok, JSON.stringify(enabled)).toBe(true);
  expect(enabled.value.methods.map((m) => m.method)).toEqual(['passkey']);
  const key = await call<{ id: string }>(core.page, 'generateKey', {
    alg: 'EdDSA',
    purpose: 'sign',
  });
  await call(core.page, 'lock');
  const unlocking = await start(core.page, 'unlock');
  await waitFor(
    () => frame.evaluate(() => document.documentElement.dataset.secret ?? null),
    'open',
  );
  expect(
    await frame.evaluate(() => ({
      passphrase: document.querySelector('#secret-passphrase') !== null,
      passkey: document.querySelector('#secret-passkey') !== null,
    })),
  ).toEqual({ passphrase: false, passkey: true });
  await sleep(SETTLE_MS);
  await frame.click('#secret-passkey');
  expect(await outcome(core.page, unlocking, 30_000)).toMatchObject({ ok: true });
  expect(await signs(core, key.id)).toMatchObject({ ok: true });
});

test('a PRF output that does not open the vault is UNLOCK_FAILED and counted: another PRF input, another authenticator', async ({
  page,
  context,
  core,
}) => {
  let frame = await connected(page, core);
  const session = await context.newCDPSession(page);
  const first = await addAuthenticator(session);
  await enable(core);
  expect(await addPasskey(core, page)).toMatchObject({ ok: true });
  const stored = (await enrollments(frame)).find((e) => e.method === 'passkey');
  const prfSalt = stored?.kdf.prfSalt ?? [];
  await call(core.page, 'lock');

  // Another PRF input for the same credential: another output.
  frame = await tamperAndReload(page, core, { prfSalt: prfSalt.map((b) => b ^ 1) });
  expectError(await unlockWithPasskey(core, page), 'UNLOCK_FAILED');
  expect(await failureCount(frame)).toBe(1);
  // The same steps with the enrolled input open it (so the failure was the input), and the
  // count resets.
  frame = await tamperAndReload(page, core, { prfSalt });
  expect(await unlockWithPasskey(core, page)).toMatchObject({ ok: true });
  expect(await failureCount(frame)).toBe(0);
  await call(core.page, 'lock');

  // A credential of another authenticator, in place of the enrolled one.
  await session.send('WebAuthn.removeVirtualAuthenticator', {
    authenticatorId: first.authenticatorId,
  });
  const second = await addAuthenticator(session);
  const otherId = await frame.evaluate(async () => {
    const credential = (await navigator.credentials.create({
      publicKey: {
        rp: { id: location.hostname, name: 'test' },
        user: { id: new Uint8Array(16).fill(2), name: 'other', displayName: 'other' },
        challenge: new Uint8Array(32),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        extensions: { prf: {} } as AuthenticationExtensionsClientInputs,
      },
    })) as PublicKeyCredential;
    return [...new Uint8Array(credential.rawId)];
  });
  expect(await credentialIds(session, second.authenticatorId)).toEqual([toBase64(otherId)]);
  frame = await tamperAndReload(page, core, { credentialId: otherId });
  expectError(await unlockWithPasskey(core, page), 'UNLOCK_FAILED');
  expect(await failureCount(frame)).toBe(1);
  expect((await call<{ vault: Vault }>(core.page, 'info')).vault.locked).toBe(true);
  // The passphrase still opens it.
  expect(await withSecrets(core, 'unlock', [], [UNLOCK(PASSPHRASE)])).toMatchObject({
    ok: true,
  });
});

test('an authenticator without PRF: OPERATION_NOT_ALLOWED, and the vault is unchanged', async ({
  page,
  context,
  core,
}) => {
  const frame = await connected(page, core);
  await addAuthenticator(await context.newCDPSession(page), false);
  await enable(core);
  const before = await enrollments(frame);
  expect(before.map((e) => e.method)).toEqual(['passphrase']);
  const result = await addPasskey(core, page);
  expectError(result, 'OPERATION_NOT_ALLOWED');
  expect((result as { error: { message: string } }).error.message).toContain(
    'does not support PRF',
  );
  expect(await enrollments(frame)).toEqual(before);
  expect((await call<{ vault: Vault }>(core.page, 'info')).vault.methods).toHaveLength(1);
});
