/**
 * The demo app, an installable PWA: it connects to the enclave through the bridge, makes (once)
 * an Ed25519 identity key and registers it with the server by proof of possession, signs every
 * API call with it (RFC 9421), rotates, revokes or schedules the deletion of that key with the
 * server told first, keeps notes sealed by the enclave so that the server stores ciphertext
 * only, gives a relay short-lived tokens and a VAPID header for Web Push, and shows what script
 * injected into this page can and cannot do; its verification panel compares the enclave's
 * release digest with the release manifest the deployment publishes (`./verify.ts`).
 */
import { connect, type Enclave, type KeyInfo, StrongroomError } from '@strongroom/bridge';
import { b64url, fromB64url, signatureHeaders } from './signing';
import { fetchAndCheckRelease, type VerifyResult, verifyCommands } from './verify';

const IDENTITY_LABEL = 'strongroom-demo identity';
const NOTES_LABEL = 'strongroom-demo notes';
const RELAY_LABEL = 'strongroom-demo relay';
const DECOY_LABEL = 'strongroom-demo decoy';
const PUSH_LABEL = 'strongroom-demo push';
const RELAY = 'https://relay.example';
/** The contact in every VAPID header (RFC 8292 §2.1), and the only one the key allows. */
const PUSH_SUBJECT = 'mailto:demo@strongroom.example';
/** Lifetime of a VAPID header: the server can push with it this long after the visit. */
const PUSH_HEADER_LIFETIME_S = 12 * 3600;
/** Relay tokens per minute: what an XSS could mint is bounded too. */
const RELAY_USES_PER_MINUTE = 10;
/** Where the page keeps an open rotation, to finish it after a reload. */
const ROTATION_STORAGE = 'strongroom-demo rotation';

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
}

function explain(err: unknown): string {
  if (err instanceof StrongroomError) {
    // A string switch: `LOCKED` (vault mode) may be newer than the bridge this was built with.
    switch (err.code as string) {
      case 'HANDSHAKE_TIMEOUT':
      case 'ENCLAVE_UNAVAILABLE':
        return `The enclave is unavailable (${err.code}). Your keys are safe; try again later.`;
      case 'ENCLAVE_DISCONNECTED':
      case 'CALL_TIMEOUT':
        return `The enclave was disconnected (${err.code}): the page reconnects; try again in a moment.`;
      case 'LOCKED':
        return 'The enclave is locked (LOCKED): unlock it in the enclave’s own dialog, then try again.';
      case 'RATE_LIMITED':
        return `Too many operations: the enclave asks to wait ${Math.ceil((err.retryAfterMs ?? 1000) / 1000)} s (RATE_LIMITED).`;
      case 'CONSENT_DECLINED':
        return 'You declined in the enclave’s dialog: nothing was changed (CONSENT_DECLINED).';
      case 'CONSENT_TIMEOUT':
        return 'Nobody answered the enclave’s dialog: nothing was changed (CONSENT_TIMEOUT).';
      default:
        return `${err.code}: ${err.message}`;
    }
  }
  if (err instanceof ApiFailure) return `The server refused: ${err.code} — ${err.message}`;
  if (err instanceof TypeError) return 'The server cannot be reached (offline?).';
  return String(err);
}

function showError(err: unknown): void {
  const message = el<HTMLParagraphElement>('message');
  message.textContent = explain(err);
  message.dataset.code = (err as { code?: string }).code ?? 'ERROR';
  message.hidden = false;
}

function clearError(): void {
  el<HTMLParagraphElement>('message').hidden = true;
}

/** The `exp` (seconds) of a compact JWS's claims; only the page's own tokens are read. */
function tokenExpiry(jws: string): number {
  const claims = JSON.parse(new TextDecoder().decode(fromB64url(jws.split('.')[1] ?? ''))) as {
    exp?: number;
  };
  return claims.exp ?? 0;
}

/** Show `exp` on `out` as a remaining life that counts down. */
function showRemainingLife(out: HTMLElement, prefix: string, exp: number): void {
  out.dataset.expiresAt = String(exp * 1000);
  const render = () => {
    const left = Math.max(0, Math.round(exp - Date.now() / 1000));
    out.textContent = `${prefix}: ${left > 0 ? `${left} s left (until ${new Date(exp * 1000).toLocaleTimeString()})` : 'expired'}`;
    return left > 0;
  };
  if (render()) {
    const timer = setInterval(() => {
      if (!render() || out.dataset.expiresAt !== String(exp * 1000)) clearInterval(timer);
    }, 1000);
  }
}

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Ctx {
  enclave: Enclave;
  api: string;
  identity: KeyInfo;
  notesKey?: KeyInfo;
}

/** A key as the server sees it (`GET /api/me`). */
interface ServerKey {
  keyId: string;
  version: number;
  state: 'active' | 'rotated' | 'revoked' | 'pending-deletion';
  destroyAt: number | null;
}

async function call<T>(
  ctx: Ctx,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<T> {
  const url = new URL(path, ctx.api).href;
  const bytes = body === undefined ? null : new TextEncoder().encode(JSON.stringify(body));
  const headers: Record<string, string> = {
    ...extraHeaders,
    ...(bytes ? { 'Content-Type': 'application/json' } : {}),
  };
  // Every call is signed (RFC 9421) by the identity key in the enclave.
  Object.assign(
    headers,
    await signatureHeaders(method, url, bytes, ctx.identity.kid, (data) =>
      ctx.enclave.sign(ctx.identity.id, data),
    ),
  );
  el('last-request').textContent = `${method} ${new URL(url).pathname}, signed by the enclave`;
  const response = await fetch(url, { method, headers, ...(bytes ? { body: bytes } : {}) });
  const json = (await response.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
  };
  if (!response.ok) {
    throw new ApiFailure(
      response.status,
      json.error?.code ?? 'HTTP_ERROR',
      json.error?.message ?? response.statusText,
    );
  }
  return json as T;
}

async function findOrCreate(
  enclave: Enclave,
  label: string,
  make: () => Promise<KeyInfo>,
  states: readonly KeyInfo['state'][] = ['active'],
): Promise<KeyInfo> {
  const keys = (await enclave.listKeys()).filter((k) => k.label === label);
  for (const state of states) {
    const found = keys.find((k) => k.state === state);
    if (found) return found;
  }
  return make();
}

/** Show the identity key as the enclave and as the server see it, and enable what applies. */
async function showIdentity(ctx: Ctx, server?: ServerKey & { keys?: ServerKey[] }): Promise<void> {
  const k = ctx.identity;
  el('key-id').textContent = k.kid;
  const inEnclave = el<HTMLOutputElement>('key-state');
  inEnclave.dataset.state = k.state;
  inEnclave.textContent = `${k.state}, ${k.alg}, version ${k.version}, non-extractable, created ${new Date(k.createdAt).toLocaleString()}${k.deletion ? `, destroyed on ${new Date(k.deletion.destroyAt).toDateString()}` : ''}`;
  if (server) {
    const out = el<HTMLOutputElement>('server-state');
    out.dataset.state = server.state;
    out.dataset.version = String(server.version);
    const older = (server.keys ?? []).filter((x) => x.keyId !== server.keyId);
    out.textContent = `${server.state}, version ${server.version}${server.destroyAt ? `, deletion on ${new Date(server.destroyAt).toDateString()}` : ''}${older.length ? `; earlier versions: ${older.map((x) => `v${x.version} ${x.state}`).join(', ')}` : ''}`;
  }
  const active = k.state === 'active';
  el<HTMLButtonElement>('key-rotate').disabled = !active;
  el<HTMLButtonElement>('key-delete').disabled = !active;
  el<HTMLButtonElement>('key-revoke').disabled = k.state === 'revoked';
  el<HTMLButtonElement>('key-cancel').disabled = k.state !== 'pending-deletion';
  el<HTMLButtonElement>('key-destroy').disabled = k.state !== 'pending-deletion';
}

/** The server's view of the signing key (`GET /api/me`); null if it does not know the key. */
async function serverView(ctx: Ctx): Promise<(ServerKey & { keys: ServerKey[] }) | null> {
  try {
    return await call<ServerKey & { keys: ServerKey[] }>(ctx, 'GET', 'me');
  } catch (err) {
    if (err instanceof ApiFailure && err.code === 'UNKNOWN_KEY') return null;
    throw err;
  }
}

/** The rotation message (the server's `rotationMessage`). */
const rotationBytes = (challenge: string, oldKid: string, newKid: string) =>
  new TextEncoder().encode(`strongroom-demo/rotate\n${challenge}\n${oldKid}\n${newKid}`);

/**
 * Rotate the identity key. The enclave's retired versions can no longer sign, so the old
 * version signs first: the RFC 9421 request that opens the rotation (and gets a challenge bound
 * to it). Then the enclave rotates, and the new version signs the challenge with both key ids
 * and the RFC 9421 request that completes the rotation.
 */
async function rotateIdentity(ctx: Ctx): Promise<void> {
  const opened = await call<{ rotationId: string; challenge: string }>(
    ctx,
    'POST',
    'identity/rotation',
  );
  const pending = { ...opened, oldKid: ctx.identity.kid, id: ctx.identity.id };
  localStorage.setItem(ROTATION_STORAGE, JSON.stringify(pending));
  ctx.identity = await ctx.enclave.rotateKey(ctx.identity.id);
  await completeRotation(ctx, pending);
}

async function completeRotation(
  ctx: Ctx,
  pending: { rotationId: string; challenge: string; oldKid: string },
): Promise<void> {
  const signature = await ctx.enclave.sign(
    ctx.identity.id,
    rotationBytes(pending.challenge, pending.oldKid, ctx.identity.kid),
  );
  const jwk = ctx.identity.publicJwk as JsonWebKey;
  // An RFC 9421 request signed by the new version (ctx.identity is the rotated key now).
  await call(ctx, 'POST', 'identity/rotation/complete', {
    rotationId: pending.rotationId,
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
    signature: b64url(signature),
  });
  localStorage.removeItem(ROTATION_STORAGE);
  await showIdentity(ctx, (await serverView(ctx)) ?? undefined);
}

/** Revoke: the server first (the key can still sign that request), then the enclave. */
async function revokeIdentity(ctx: Ctx): Promise<void> {
  await call(ctx, 'POST', 'identity/revoke');
  ctx.identity = await ctx.enclave.revokeKey(ctx.identity.id);
  const out = el<HTMLOutputElement>('server-state');
  out.dataset.state = 'revoked';
  out.textContent = 'revoked: the server refuses this key for ever (reload for a new identity)';
  await showIdentity(ctx);
}

/** Schedule the deletion: the server first, then the enclave (7 days, cancellable). */
async function scheduleIdentityDeletion(ctx: Ctx): Promise<void> {
  const answer = await call<{ destroyAt: number }>(ctx, 'POST', 'identity/deletion', { days: 7 });
  ctx.identity = await ctx.enclave.scheduleDeletion(ctx.identity.id, { days: 7 });
  await showIdentity(ctx, {
    keyId: ctx.identity.kid,
    version: ctx.identity.version,
    state: 'pending-deletion',
    destroyAt: answer.destroyAt,
  });
}

/**
 * Destroy a key pending deletion now rather than at its date: the enclave asks the person in its
 * own dialog (declined: `CONSENT_DECLINED`, and nothing changes). The server already refuses it.
 */
async function destroyIdentityNow(ctx: Ctx): Promise<void> {
  await ctx.enclave.destroyKey(ctx.identity.id);
  const out = el<HTMLOutputElement>('key-state');
  out.dataset.state = 'destroyed';
  out.textContent = 'destroyed: reload for a new identity';
  for (const id of ['key-rotate', 'key-delete', 'key-cancel', 'key-revoke', 'key-destroy']) {
    el<HTMLButtonElement>(id).disabled = true;
  }
}

/** Cancel it: the enclave first (the key signs again), then the server. */
async function cancelIdentityDeletion(ctx: Ctx): Promise<void> {
  ctx.identity = await ctx.enclave.cancelDeletion(ctx.identity.id);
  await call(ctx, 'POST', 'identity/cancel-deletion');
  await showIdentity(ctx, (await serverView(ctx)) ?? undefined);
}

async function register(ctx: Ctx): Promise<void> {
  const registration = el<HTMLOutputElement>('registration');
  const me = await serverView(ctx);
  if (me) {
    registration.textContent = `registered (the server verifies each signed request)`;
    registration.dataset.state = 'registered';
    await showIdentity(ctx, me);
    return;
  }
  // A rotation that the page did not finish (closed in between): the new version completes it.
  const pending = JSON.parse(localStorage.getItem(ROTATION_STORAGE) ?? 'null') as {
    rotationId: string;
    challenge: string;
    oldKid: string;
    id: string;
  } | null;
  let abandoned: string | null = null;
  if (pending && pending.id === ctx.identity.id && pending.oldKid !== ctx.identity.kid) {
    try {
      await completeRotation(ctx, pending);
      registration.textContent = 'registered (a rotation was completed)';
      registration.dataset.state = 'registered';
      return;
    } catch (err) {
      // The server no longer has that rotation (expired, used) or the old key moved on: it can
      // never complete. Forget it and register this key as a new identity.
      if (
        !(err instanceof ApiFailure) ||
        (err.code !== 'CHALLENGE_INVALID' && err.code !== 'ROTATION_CONFLICT')
      ) {
        throw err;
      }
      localStorage.removeItem(ROTATION_STORAGE);
      abandoned = err.code;
    }
  } else if (pending && pending.id === ctx.identity.id) {
    // Opened but the enclave never rotated: nothing to complete.
    localStorage.removeItem(ROTATION_STORAGE);
  }
  registration.textContent = 'registering (proof of possession)…';
  const jwk = ctx.identity.publicJwk as JsonWebKey;
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  // Every call is signed: this one by the key it is about to register, which it carries.
  const { challengeId, challenge } = await call<{ challengeId: string; challenge: string }>(
    ctx,
    'POST',
    'challenge',
    { publicJwk },
  );
  const message = new TextEncoder().encode(
    `strongroom-demo/register\n${challenge}\n${ctx.identity.kid}`,
  );
  const signature = await ctx.enclave.sign(ctx.identity.id, message);
  // An RFC 9421 request signed by the key it registers.
  await call(ctx, 'POST', 'register', { challengeId, publicJwk, signature: b64url(signature) });
  registration.textContent = abandoned
    ? `registered as a new identity: an interrupted rotation could not be completed (${abandoned}); the server keeps the old version under the old account`
    : 'registered just now (the server verified the enclave’s signature)';
  registration.dataset.state = 'registered';
  if (abandoned) registration.dataset.rotation = 'abandoned';
  await showIdentity(ctx, (await serverView(ctx)) ?? undefined);
}

const aadOf = (id: string) => new TextEncoder().encode(`strongroom-demo/note/${id}`);

async function loadNotes(ctx: Ctx): Promise<void> {
  const { notes } = await call<{ notes: { id: string; envelope: string }[] }>(ctx, 'GET', 'notes');
  const body = el<HTMLTableElement>('notes').tBodies[0] as HTMLTableSectionElement;
  const rows: HTMLTableRowElement[] = [];
  for (const note of notes) {
    const row = document.createElement('tr');
    row.dataset.noteId = note.id;
    const plain = document.createElement('td');
    plain.className = 'plain';
    try {
      const bytes = await ctx.enclave.open(fromB64url(note.envelope), { aad: aadOf(note.id) });
      plain.textContent = new TextDecoder().decode(bytes);
    } catch (err) {
      plain.textContent = `(cannot open: ${explain(err)})`;
    }
    const stored = document.createElement('td');
    stored.className = 'stored';
    stored.textContent = note.envelope;
    row.append(plain, stored);
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

async function saveNote(ctx: Ctx, text: string): Promise<void> {
  ctx.notesKey ??= await findOrCreate(ctx.enclave, NOTES_LABEL, () =>
    ctx.enclave.generateKey({ alg: 'A256KW', purpose: 'seal', label: NOTES_LABEL }),
  );
  const id = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const envelope = await ctx.enclave.seal(ctx.notesKey.id, new TextEncoder().encode(text), {
    aad: aadOf(id),
  });
  await call(ctx, 'POST', 'notes', { id, envelope: b64url(envelope) });
  await loadNotes(ctx);
}

interface Attempt {
  id: string;
  what: string;
  run: () => Promise<string>;
  /** The error codes that count as refused; none: an operation the page may do. */
  expect?: readonly string[];
  /** What a success shows, when the page may do it: `allowed` by default. */
  outcome?: 'allowed' | 'public-only' | 'scheduled';
}

const ATTACK_KEK_LABEL = 'strongroom-demo attacker kek';

/** The code of a refusal: a bridge error's `code`, a DOMException's `name` (not its number). */
function refusalCode(err: unknown): string {
  if (err instanceof StrongroomError) return err.code;
  if (err instanceof DOMException) return err.name;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ERROR';
}

/** The enclave's iframe, as script in the page finds it. */
function enclaveWindow(enclaveOrigin: string): Window {
  const frame = [...document.querySelectorAll('iframe')].find(
    (f) => new URL(f.src, location.href).origin === enclaveOrigin,
  );
  if (!frame?.contentWindow) throw new Error('no enclave frame in this page');
  return frame.contentWindow;
}

/** Members of a public JWK or key description that would carry private material. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'material', 'privateKey'];

function assertPublicOnly(what: string, value: object): string[] {
  const found = PRIVATE_MEMBERS.filter((m) => m in value);
  if (found.length) throw new Error(`${what} carries ${found.join(', ')}`);
  return Object.keys(value);
}

/**
 * What script injected into this page would try, each attempt a real call: through the page's
 * own `Enclave` (the bridge), or at the enclave frame itself. `foreignKeyId`: the id of a key
 * of another app origin, if the page was given one (`?foreignKey=`), as an attacker who learned
 * it would be.
 */
async function runAttacks(ctx: Ctx, foreignKeyId: string | null): Promise<void> {
  const { enclave } = ctx;
  const list = el<HTMLUListElement>('attacks');
  list.replaceChildren();
  const { enclaveOrigin } = await enclave.info();
  const relay = await relayKey(enclave);
  const decoy = await findOrCreate(enclave, DECOY_LABEL, () =>
    enclave.generateKey({ alg: 'EdDSA', purpose: 'sign', label: DECOY_LABEL }),
  );
  const forged = new TextEncoder().encode(
    `${b64url(new TextEncoder().encode('{"alg":"EdDSA"}'))}.${b64url(new TextEncoder().encode(`{"aud":"${RELAY}","exp":4102444800}`))}`,
  );
  const identity = ctx.identity;
  const attempts: Attempt[] = [
    {
      id: 'read-dom',
      what: 'read the enclave frame’s document (its DOM) from this page',
      expect: ['SecurityError'],
      run: async () => {
        const doc = enclaveWindow(enclaveOrigin).document;
        return `read ${doc.documentElement.outerHTML.length} characters!`;
      },
    },
    {
      id: 'read-idb',
      what: 'open the enclave origin’s IndexedDB through its frame',
      expect: ['SecurityError'],
      run: async () => {
        const idb = (enclaveWindow(enclaveOrigin) as Window & typeof globalThis).indexedDB;
        return `got ${typeof idb}!`;
      },
    },
    {
      id: 'read-public',
      what: 'read the identity key through the bridge (getKey, publicKey)',
      outcome: 'public-only',
      run: async () => {
        const info = assertPublicOnly('getKey', await enclave.getKey(identity.id));
        const jwk = assertPublicOnly('publicKey', await enclave.publicKey(identity.id, 'jwk'));
        return `public material only: getKey has ${info.length} fields, none private; the JWK is {${jwk.join(', ')}}`;
      },
    },
    {
      id: 'wrap-export',
      what: 'export the identity key wrapped under a KEK this page makes in the enclave (wrapKey)',
      expect: ['OPERATION_NOT_ALLOWED'],
      run: async () => {
        const kek = await findOrCreate(enclave, ATTACK_KEK_LABEL, () =>
          enclave.generateKey({ alg: 'A256KW', purpose: 'wrap', label: ATTACK_KEK_LABEL }),
        );
        return `${(await enclave.wrapKey(kek.id, identity.id)).length} wrapped bytes!`;
      },
    },
    {
      id: 'backup-export',
      what: 'take the identity key out in a backup file (exportBackup)',
      expect: ['OPERATION_NOT_ALLOWED'],
      run: async () =>
        `${(await enclave.exportBackup({ keys: [identity.id] })).length}-byte backup!`,
    },
    {
      id: 'raw-jwt',
      what: 'sign a forged, long-lived token with a raw signature of the relay key',
      expect: ['OPERATION_NOT_ALLOWED'],
      run: async () => `${(await enclave.sign(relay.id, forged)).length}-byte signature!`,
    },
    {
      id: 'long-jwt',
      what: 'ask for a relay token valid for a year',
      expect: ['OPERATION_NOT_ALLOWED'],
      run: async () =>
        enclave.signJwt(relay.id, { claims: { aud: RELAY }, expiresIn: 365 * 86400 }),
    },
    {
      id: 'other-origin',
      what: foreignKeyId
        ? 'sign with another app origin’s key, by its id (given to this page in ?foreignKey=)'
        : 'sign with a key of another app origin, by an id that is not this origin’s (pass a real one in ?foreignKey=)',
      expect: ['KEY_NOT_FOUND'],
      run: async () => {
        const id = foreignKeyId ?? b64url(crypto.getRandomValues(new Uint8Array(16)));
        return `${(await enclave.sign(id, forged)).length}-byte signature!`;
      },
    },
    {
      id: 'delete',
      what: 'delete a key silently (deleteKey)',
      outcome: 'scheduled',
      run: async () => {
        const scheduled = await enclave.deleteKey(decoy.id);
        if (scheduled.state !== 'pending-deletion' || !scheduled.deletion) {
          throw new Error(`deleteKey left the key ${scheduled.state}`);
        }
        await enclave.cancelDeletion(decoy.id);
        return `only scheduled, for ${new Date(scheduled.deletion.destroyAt).toDateString()}; cancellable until then (this panel cancelled it)`;
      },
    },
    {
      id: 'destroy',
      what: 'destroy a key at once without the person (destroyKey: the enclave asks them)',
      // Whatever the person does but Allow, nothing is destroyed.
      expect: ['CONSENT_DECLINED', 'CONSENT_TIMEOUT', 'CONSENT_NOT_VISIBLE'],
      run: async () => {
        await enclave.destroyKey(decoy.id);
        return 'destroyed (the person allowed it)';
      },
    },
    {
      id: 'reset',
      what: 'erase every key of this origin (resetEnclave: the enclave asks them)',
      expect: ['CONSENT_DECLINED', 'CONSENT_TIMEOUT', 'CONSENT_NOT_VISIBLE'],
      run: async () => {
        await enclave.resetEnclave();
        return 'every key erased (the person allowed it)';
      },
    },
    {
      id: 'allowed',
      what: 'ask for what the app may do: a 5-minute relay token',
      run: async () => {
        const jwt = await enclave.signJwt(relay.id, { claims: { aud: RELAY }, expiresIn: 300 });
        return `${jwt.slice(0, 16)}… (in the audit log below)`;
      },
    },
  ];
  for (const attempt of attempts) {
    const item = document.createElement('li');
    item.dataset.attack = attempt.id;
    list.append(item);
    try {
      const result = await attempt.run();
      item.dataset.outcome = attempt.expect ? 'failed' : (attempt.outcome ?? 'allowed');
      item.textContent = `${attempt.what} → ${result}`;
    } catch (err) {
      const code = refusalCode(err);
      item.dataset.outcome = attempt.expect?.includes(code) ? 'refused' : 'failed';
      item.dataset.code = code;
      item.textContent = `${attempt.what} → refused: ${code}`;
    }
  }
  await showAudit(enclave);
}

/** The relay's `jwt` key: audience-bound, 5-minute tokens, a few a minute. */
function relayKey(enclave: Enclave): Promise<KeyInfo> {
  return findOrCreate(enclave, RELAY_LABEL, () =>
    enclave.generateKey({
      alg: 'EdDSA',
      purpose: 'jwt',
      label: RELAY_LABEL,
      audiences: [RELAY],
      maxTokenLifetime: 300,
      usesPerMinute: RELAY_USES_PER_MINUTE,
    }),
  );
}

/** A 5-minute relay token from the enclave (the relay learns its key through a signed request). */
async function relayToken(ctx: Ctx): Promise<string> {
  const relay = await relayKey(ctx.enclave);
  const jwk = relay.publicJwk as JsonWebKey;
  await call(ctx, 'POST', 'relay-keys', { publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } });
  const token = await ctx.enclave.signJwt(relay.id, {
    claims: { aud: RELAY, sub: ctx.identity.kid },
    expiresIn: 300,
  });
  showRemainingLife(el('relay-token'), 'relay token', tokenExpiry(token));
  return token;
}

/** A relay call: its bearer token, and an RFC 9421 signature by the identity key as well. */
async function relayFetch<T>(ctx: Ctx, path: string, body?: unknown): Promise<T> {
  const token = await relayToken(ctx);
  return call<T>(ctx, body === undefined ? 'GET' : 'POST', path, body, {
    Authorization: `Bearer ${token}`,
  });
}

async function callRelay(ctx: Ctx): Promise<void> {
  const out = el<HTMLOutputElement>('relay-result');
  const json = await relayFetch<{ expiresAt?: number }>(ctx, 'relay/ping');
  out.dataset.state = 'ok';
  out.textContent = `the relay accepted a token valid until ${new Date(json.expiresAt ?? 0).toLocaleTimeString()}`;
}

/**
 * Subscribe to push with the enclave's VAPID key as `applicationServerKey`, and give the
 * server the subscription and a VAPID header made by the enclave for that push service.
 */
async function subscribePush(ctx: Ctx): Promise<void> {
  const { enclave } = ctx;
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    throw new Error('this browser has no Push API');
  }
  const vapid = await findOrCreate(enclave, PUSH_LABEL, () =>
    enclave.generateKey({
      alg: 'ES256',
      purpose: 'vapid',
      label: PUSH_LABEL,
      subjects: [PUSH_SUBJECT],
      maxTokenLifetime: PUSH_HEADER_LIFETIME_S,
    }),
  );
  const registration =
    (await navigator.serviceWorker.getRegistration()) ??
    (await navigator.serviceWorker.register('./sw.js'));
  const applicationServerKey = await enclave.applicationServerKey(vapid.id);
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: new Uint8Array(applicationServerKey),
  });
  const pushService = new URL(subscription.endpoint).origin;
  const authorization = await enclave.vapidAuth(vapid.id, {
    audience: pushService,
    subject: PUSH_SUBJECT,
    expiresIn: PUSH_HEADER_LIFETIME_S,
  });
  await call(ctx, 'POST', 'push/subscriptions', {
    subscription: subscription.toJSON(),
    authorization,
  });
  const out = el<HTMLOutputElement>('push-subscription');
  out.dataset.state = 'subscribed';
  const t = /t=([^,\s]+)/.exec(authorization)?.[1] ?? '';
  showRemainingLife(out, `subscribed at ${pushService}; VAPID header`, tokenExpiry(t));
  el<HTMLButtonElement>('push-send').disabled = false;
}

/** Ask the relay (with a relay token) to push `text`; show what the push service answered. */
async function sendPush(ctx: Ctx, text: string): Promise<void> {
  const { results } = await relayFetch<{
    results: { pushService: string; status: number; code: string | null }[];
  }>(ctx, 'relay/push', { text });
  const out = el<HTMLOutputElement>('push-result');
  const accepted = results.every((r) => r.status >= 200 && r.status < 300);
  out.dataset.state = accepted ? 'accepted' : 'refused';
  out.dataset.code = results.find((r) => r.code)?.code ?? '';
  out.textContent = results
    .map((r) =>
      r.status >= 200 && r.status < 300
        ? `${r.pushService} accepted the push (${r.status})`
        : `${r.pushService} refused the push (${r.status} ${r.code ?? ''})${r.code === 'VAPID_EXPIRED' ? ': the header expired; subscribe again from this page for a fresh one' : ''}`,
    )
    .join('; ');
}

async function showAudit(enclave: Enclave): Promise<void> {
  const { entries } = await enclave.auditLog({ since: 0, limit: 1000 });
  const items = entries.slice(-16).map((e) => {
    const li = document.createElement('li');
    li.dataset.op = e.op;
    li.dataset.outcome = e.outcome;
    li.textContent = `#${e.seq} ${new Date(e.time).toLocaleTimeString()} ${e.op} → ${e.outcome}`;
    return li;
  });
  el<HTMLOListElement>('audit').replaceChildren(...items);
}

/** A button that runs `action` with the buttons of its panel disabled meanwhile. */
function onClick(id: string, action: () => Promise<void>, after?: () => void): void {
  const button = el<HTMLButtonElement>(id);
  button.disabled = false;
  button.addEventListener('click', () => {
    button.disabled = true;
    clearError();
    action()
      .catch(showError)
      .finally(() => {
        button.disabled = false;
        after?.();
      });
  });
}

/**
 * The server did not answer (offline, or down): the key's state in the enclave is shown, the
 * attacker panel still runs (it needs the enclave only), and each panel that needs the server
 * says so; the key's lifecycle buttons stay off (the server must be told first).
 */
function serverUnreachable(ctx: Ctx): void {
  const text = 'server unreachable: this needs the demo server; reload when it is back';
  const registration = el<HTMLOutputElement>('registration');
  registration.dataset.state = 'unreachable';
  registration.textContent = `server unreachable: not checked (the key stays in the enclave, ${ctx.identity.state})`;
  for (const id of ['relay-result', 'push-subscription']) {
    const out = el<HTMLOutputElement>(id);
    out.dataset.state = 'unreachable';
    out.textContent = text;
  }
  el('notes-status').textContent = text;
  for (const id of ['key-rotate', 'key-delete', 'key-revoke', 'note-save', 'relay-run']) {
    el<HTMLButtonElement>(id).disabled = true;
  }
  document.documentElement.dataset.ready = 'enclave-only';
}

/** Say what the connection is doing: disconnected, reconnecting, locked (vault mode). */
function watchConnection(enclave: Enclave): void {
  const status = el<HTMLOutputElement>('status');
  const connectedText = status.textContent ?? '';
  enclave.addEventListener('statechange', (event) => {
    const state = event.detail.state;
    status.dataset.state = state;
    status.textContent =
      state === 'connected'
        ? connectedText
        : state === 'reconnecting'
          ? 'disconnected: reconnecting…'
          : state;
  });
  enclave.addEventListener('disconnect', (event) => showError(event.detail.error));
  // Vault mode's events, when the enclave has them: a locked enclave refuses with LOCKED.
  enclave.addEventListener('lock', () => {
    status.dataset.state = 'locked';
    status.textContent = 'locked: unlock it in the enclave’s dialog';
  });
  enclave.addEventListener('unlock', () => {
    status.dataset.state = 'connected';
    status.textContent = connectedText;
  });
}

async function main(): Promise<void> {
  const status = el<HTMLOutputElement>('status');
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('./sw.js').catch(() => undefined);
    // The service worker posts each push it received (decrypted by the browser).
    navigator.serviceWorker.addEventListener('message', (event: MessageEvent<unknown>) => {
      const data = event.data as { type?: unknown; body?: unknown } | null;
      if (typeof data !== 'object' || data === null || data.type !== 'strongroom-demo/push') return;
      const out = el<HTMLOutputElement>('push-received');
      out.dataset.state = 'received';
      out.textContent = `the service worker received: ${typeof data.body === 'string' ? data.body : ''}`;
    });
  }
  let config: {
    enclaveUrl: string;
    apiUrl?: string;
    /** The enclave's release manifest as this deployment publishes it; default beside the page. */
    manifestUrl?: string;
    /** Its Sigstore bundle, if it was signed. */
    manifestBundleUrl?: string;
  };
  try {
    config = (await (await fetch('./strongroom-config.json')).json()) as typeof config;
  } catch (err) {
    status.dataset.state = 'offline';
    status.textContent =
      'offline: the app shell works, the enclave and the server need the network';
    showError(err);
    return;
  }
  let enclave: Enclave;
  try {
    enclave = await connect({ url: config.enclaveUrl, timeoutMs: 10_000, reconnect: true });
  } catch (err) {
    // The configuration may come from the service worker's cache: offline, an enclave on
    // another origin cannot load (the browser cannot fetch its page), so say that.
    const offline = !navigator.onLine;
    status.dataset.state = offline ? 'offline' : 'unavailable';
    status.textContent = offline
      ? `offline: the enclave (${new URL(config.enclaveUrl, location.href).origin}) cannot be reached without the network; the app shell works`
      : 'unavailable';
    showError(err);
    return;
  }
  try {
    const info = await enclave.info();
    status.dataset.state = 'connected';
    status.textContent = `connected to ${info.enclaveOrigin} (v${info.version})`;
    void showVerification(info.releaseDigest, {
      enclaveUrl: new URL(config.enclaveUrl, location.href).href,
      manifestUrl: new URL(config.manifestUrl ?? './strongroom-manifest.json', location.href).href,
      ...(config.manifestBundleUrl
        ? { bundleUrl: new URL(config.manifestBundleUrl, location.href).href }
        : {}),
    });
    watchConnection(enclave);
    // The identity: active, or pending deletion (then only its cancellation is offered).
    const identity = await findOrCreate(
      enclave,
      IDENTITY_LABEL,
      () => enclave.generateKey({ alg: 'EdDSA', purpose: 'sign', label: IDENTITY_LABEL }),
      ['active', 'pending-deletion'],
    );
    const ctx: Ctx = {
      enclave,
      api: config.apiUrl ?? new URL('./api/', location.href).href,
      identity,
    };
    await showIdentity(ctx);
    const startedPending = identity.state === 'pending-deletion';
    onClick(
      'key-cancel',
      () => cancelIdentityDeletion(ctx),
      () => (startedPending ? location.reload() : void showIdentity(ctx)),
    );
    el<HTMLButtonElement>('key-cancel').disabled = !startedPending;
    onClick(
      'key-destroy',
      () => destroyIdentityNow(ctx),
      () => {
        if (el('key-state').dataset.state === 'destroyed') {
          el<HTMLButtonElement>('key-destroy').disabled = true;
        } else void showIdentity(ctx);
      },
    );
    el<HTMLButtonElement>('key-destroy').disabled = !startedPending;
    if (startedPending) {
      el<HTMLOutputElement>('registration').textContent =
        'this key is scheduled for deletion: cancel it to use it again';
      return;
    }
    // The attacker panel needs only the enclave: it works whatever the server does.
    onClick(
      'attack-run',
      () => runAttacks(ctx, new URLSearchParams(location.search).get('foreignKey')),
      () => {
        document.documentElement.dataset.attacks = 'done';
      },
    );
    try {
      await register(ctx);
      await loadNotes(ctx);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      // The server cannot be reached: what needs it says so; the enclave-only panels stay usable.
      serverUnreachable(ctx);
      showError(err);
      return;
    }
    onClick(
      'key-rotate',
      () => rotateIdentity(ctx),
      () => void showIdentity(ctx),
    );
    onClick(
      'key-delete',
      () => scheduleIdentityDeletion(ctx),
      () => void showIdentity(ctx),
    );
    onClick(
      'key-revoke',
      () => revokeIdentity(ctx),
      () => void showIdentity(ctx),
    );
    await showIdentity(ctx);
    onClick('relay-run', () =>
      callRelay(ctx).catch((err: unknown) => {
        el('relay-result').dataset.state = 'error';
        throw err;
      }),
    );
    onClick('push-subscribe', () => subscribePush(ctx));
    el<HTMLButtonElement>('push-send').disabled = true;
    el<HTMLButtonElement>('push-send').addEventListener('click', () => {
      clearError();
      sendPush(ctx, el<HTMLInputElement>('push-text').value || 'Hello from the relay').catch(
        showError,
      );
    });
    const save = el<HTMLButtonElement>('note-save');
    save.disabled = false;
    el<HTMLFormElement>('note-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = el<HTMLTextAreaElement>('note-text');
      save.disabled = true;
      clearError();
      saveNote(ctx, text.value)
        .then(() => {
          text.value = '';
        })
        .catch(showError)
        .finally(() => {
          save.disabled = false;
        });
    });
    document.documentElement.dataset.ready = 'true';
  } catch (err) {
    showError(err);
  }
}

/** The verdict line of the verification panel. */
function verdict(result: VerifyResult, signed: boolean): string {
  const unsigned = signed
    ? ' (its Sigstore signature is not checked here)'
    : ' (unsigned: no Sigstore bundle is published with it, as with the manifest npm start writes for its own build)';
  switch (result.reason) {
    case 'digest-equal':
      return `match: the enclave reports the manifest's release digest — version ${result.version}, commit ${result.commit?.slice(0, 12)}${unsigned}`;
    case 'digest-differs':
      return `mismatch: the enclave reports ${result.reported}, the manifest says ${result.manifestDigest}: this enclave is not the release the manifest describes`;
    case 'manifest-inconsistent':
      return `mismatch: the manifest's releaseDigest is not the digest of its own file list (recomputed here: ${result.recomputed}): the manifest was altered`;
    case 'no-reported-digest':
      return 'unavailable: the enclave reports no release digest, so there is nothing to compare';
    case 'manifest-invalid':
      return `unavailable: what the deployment publishes is not a release manifest (${result.detail})`;
    case 'manifest-unreachable':
      return `unavailable: the manifest could not be fetched (${result.detail})`;
  }
}

/**
 * The verification panel: the release digest the enclave reports (`info().releaseDigest`),
 * checked against the manifest the deployment publishes, and the `strongroom-verify` command
 * that audits this deployment for real (the page cannot check the Sigstore bundle).
 */
async function showVerification(
  digest: string | null,
  deployment: { enclaveUrl: string; manifestUrl: string; bundleUrl?: string },
): Promise<void> {
  const out = el<HTMLOutputElement>('release-digest');
  out.textContent = digest ?? 'none (a file without a sha384 pin, or index.html unreadable)';
  out.dataset.state = digest ? 'reported' : 'missing';
  el<HTMLOutputElement>('manifest-source').textContent =
    `${deployment.manifestUrl} (${deployment.bundleUrl ? `Sigstore bundle: ${deployment.bundleUrl}` : 'unsigned: no Sigstore bundle published'})`;
  el<HTMLElement>('verify-command').textContent = verifyCommands(deployment);
  const result = await fetchAndCheckRelease(digest, deployment.manifestUrl);
  el<HTMLOutputElement>('manifest-digest').textContent = result.manifestDigest ?? '—';
  const line = el<HTMLOutputElement>('verify-result');
  line.dataset.reason = result.reason;
  line.textContent = verdict(result, deployment.bundleUrl !== undefined);
  line.dataset.state = result.state;
  if (result.version !== undefined) {
    el<HTMLElement>('verify-command').textContent = verifyCommands({
      ...deployment,
      version: result.version,
    });
  }
}

void main();
