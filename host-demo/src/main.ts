/**
 * The demo app, an installable PWA: it connects to the enclave through the bridge, makes (once)
 * an Ed25519 identity key and registers it with the server by proof of possession, signs every
 * API call with it (RFC 9421), keeps notes sealed by the enclave so that the server stores
 * ciphertext only, and shows what script injected into this page can and cannot do.
 */
import { connect, type Enclave, type KeyInfo, StrongroomError } from '@strongroom/bridge';
import { b64url, fromB64url, signatureHeaders } from './signing';

const IDENTITY_LABEL = 'strongroom-demo identity';
const NOTES_LABEL = 'strongroom-demo notes';
const RELAY_LABEL = 'strongroom-demo relay';
const DECOY_LABEL = 'strongroom-demo decoy';
const RELAY = 'https://relay.example';

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
}

function explain(err: unknown): string {
  if (err instanceof StrongroomError) {
    switch (err.code) {
      case 'HANDSHAKE_TIMEOUT':
      case 'ENCLAVE_UNAVAILABLE':
        return `The enclave is unavailable (${err.code}). Your keys are safe; try again later.`;
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
  message.hidden = false;
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

async function call<T>(
  ctx: Ctx,
  method: string,
  path: string,
  body?: unknown,
  signed = true,
): Promise<T> {
  const url = new URL(path, ctx.api).href;
  const bytes = body === undefined ? null : new TextEncoder().encode(JSON.stringify(body));
  const headers: Record<string, string> = bytes ? { 'Content-Type': 'application/json' } : {};
  if (signed) {
    Object.assign(
      headers,
      await signatureHeaders(method, url, bytes, ctx.identity.kid, (data) =>
        ctx.enclave.sign(ctx.identity.id, data),
      ),
    );
    el('last-request').textContent = `${method} ${new URL(url).pathname}, signed by the enclave`;
  }
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
): Promise<KeyInfo> {
  const existing = (await enclave.listKeys()).find(
    (k) => k.label === label && k.state === 'active',
  );
  return existing ?? make();
}

async function register(ctx: Ctx): Promise<void> {
  const registration = el<HTMLOutputElement>('registration');
  try {
    const me = await call<{ keyId: string; registeredAt: number }>(ctx, 'GET', 'me');
    registration.textContent = `registered ${new Date(me.registeredAt).toLocaleString()}`;
    registration.dataset.state = 'registered';
    return;
  } catch (err) {
    if (!(err instanceof ApiFailure && err.code === 'UNKNOWN_KEY')) throw err;
  }
  registration.textContent = 'registering (proof of possession)…';
  const { challengeId, challenge } = await call<{ challengeId: string; challenge: string }>(
    ctx,
    'POST',
    'challenge',
    undefined,
    false,
  );
  const message = new TextEncoder().encode(
    `strongroom-demo/register\n${challenge}\n${ctx.identity.kid}`,
  );
  const signature = await ctx.enclave.sign(ctx.identity.id, message);
  const jwk = ctx.identity.publicJwk as JsonWebKey;
  await call(
    ctx,
    'POST',
    'register',
    {
      challengeId,
      publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
      signature: b64url(signature),
    },
    false,
  );
  registration.textContent = 'registered just now (the server verified the enclave’s signature)';
  registration.dataset.state = 'registered';
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
  /** The error codes that count as refused; none: an allowed operation. */
  expect?: readonly string[];
}

async function runAttacks(ctx: Ctx): Promise<void> {
  const { enclave } = ctx;
  const list = el<HTMLUListElement>('attacks');
  list.replaceChildren();
  const relay = await findOrCreate(enclave, RELAY_LABEL, () =>
    enclave.generateKey({
      alg: 'EdDSA',
      purpose: 'jwt',
      label: RELAY_LABEL,
      audiences: [RELAY],
      maxTokenLifetime: 300,
    }),
  );
  const decoy = await findOrCreate(enclave, DECOY_LABEL, () =>
    enclave.generateKey({ alg: 'EdDSA', purpose: 'sign', label: DECOY_LABEL }),
  );
  const forged = new TextEncoder().encode(
    `${b64url(new TextEncoder().encode('{"alg":"EdDSA"}'))}.${b64url(new TextEncoder().encode(`{"aud":"${RELAY}","exp":4102444800}`))}`,
  );
  const attempts: Attempt[] = [
    {
      id: 'export',
      what: 'read the identity key’s private half',
      expect: ['NO_API'],
      run: async () => {
        const api = enclave as unknown as Record<string, unknown>;
        if (typeof api.exportKey === 'function') return 'exportKey exists!';
        throw Object.assign(
          new Error('the bridge has no exportKey, and keys are non-extractable'),
          { code: 'NO_API' },
        );
      },
    },
    {
      id: 'raw-jwt',
      what: 'sign a forged, long-lived token with a raw signature of the relay key',
      expect: ['OPERATION_NOT_ALLOWED'],
      run: async () => `${(await enclave.sign(relay.id, forged)).length}-byte signature`,
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
      what: 'use a key of another origin (by its id)',
      expect: ['KEY_NOT_FOUND'],
      run: async () =>
        `${(await enclave.sign('AAAAAAAAAAAAAAAAAAAAAA', forged)).length}-byte signature`,
    },
    {
      id: 'destroy',
      what: 'destroy a key at once without the person (the enclave asks them)',
      // Whatever the person does but Allow, nothing is destroyed.
      expect: ['CONSENT_DECLINED', 'CONSENT_TIMEOUT', 'CONSENT_NOT_VISIBLE'],
      run: async () => {
        await enclave.destroyKey(decoy.id);
        return 'destroyed (the person allowed it)';
      },
    },
    {
      id: 'delete',
      what: 'delete a key silently: deleteKey only schedules it, and the app can cancel',
      run: async () => {
        const scheduled = await enclave.deleteKey(decoy.id);
        await enclave.cancelDeletion(decoy.id);
        return `only scheduled for ${new Date(scheduled.deletion?.destroyAt ?? 0).toDateString()}, then cancelled`;
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
      item.dataset.outcome = attempt.expect ? 'failed' : 'allowed';
      item.textContent = `${attempt.what} → ${result}`;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERROR';
      item.dataset.outcome = attempt.expect?.includes(code) ? 'refused' : 'failed';
      item.dataset.code = code;
      item.textContent = `${attempt.what} → ${code === 'NO_API' ? (err as Error).message : code}`;
    }
  }
  await showAudit(enclave);
}

async function callRelay(ctx: Ctx): Promise<void> {
  const out = el<HTMLOutputElement>('relay-result');
  const relay = await findOrCreate(ctx.enclave, RELAY_LABEL, () =>
    ctx.enclave.generateKey({
      alg: 'EdDSA',
      purpose: 'jwt',
      label: RELAY_LABEL,
      audiences: [RELAY],
      maxTokenLifetime: 300,
    }),
  );
  const jwk = relay.publicJwk as JsonWebKey;
  // The relay learns the key from the app's server, through a signed request.
  await call(ctx, 'POST', 'relay-keys', { publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } });
  const token = await ctx.enclave.signJwt(relay.id, {
    claims: { aud: RELAY, sub: ctx.identity.kid },
    expiresIn: 300,
  });
  const response = await fetch(new URL('relay/ping', ctx.api), {
    headers: { Authorization: `Bearer ${token}` },
  });
  const json = (await response.json()) as { expiresAt?: number; error?: { code: string } };
  if (!response.ok)
    throw new ApiFailure(response.status, json.error?.code ?? 'HTTP_ERROR', 'relay');
  out.dataset.state = 'ok';
  out.textContent = `the relay accepted a token valid until ${new Date(json.expiresAt ?? 0).toLocaleTimeString()}`;
}

async function showAudit(enclave: Enclave): Promise<void> {
  const { entries } = await enclave.auditLog({ since: 0, limit: 1000 });
  const items = entries.slice(-10).map((e) => {
    const li = document.createElement('li');
    li.dataset.op = e.op;
    li.dataset.outcome = e.outcome;
    li.textContent = `#${e.seq} ${new Date(e.time).toLocaleTimeString()} ${e.op} → ${e.outcome}`;
    return li;
  });
  el<HTMLOListElement>('audit').replaceChildren(...items);
}

async function main(): Promise<void> {
  const status = el<HTMLOutputElement>('status');
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('./sw.js').catch(() => undefined);
  }
  let config: { enclaveUrl: string; apiUrl?: string };
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
    enclave = await connect({ url: config.enclaveUrl, timeoutMs: 10_000 });
  } catch (err) {
    status.dataset.state = 'unavailable';
    status.textContent = 'unavailable';
    showError(err);
    return;
  }
  const info = await enclave.info();
  status.dataset.state = 'connected';
  status.textContent = `connected to ${info.enclaveOrigin} (v${info.version})`;
  try {
    const identity = await findOrCreate(enclave, IDENTITY_LABEL, () =>
      enclave.generateKey({ alg: 'EdDSA', purpose: 'sign', label: IDENTITY_LABEL }),
    );
    el('key-id').textContent = identity.kid;
    el('key-state').textContent =
      `${identity.state}, ${identity.alg}, non-extractable, created ${new Date(identity.createdAt).toLocaleString()}`;
    const ctx: Ctx = {
      enclave,
      api: config.apiUrl ?? new URL('./api/', location.href).href,
      identity,
    };
    await register(ctx);
    await loadNotes(ctx);
    const save = el<HTMLButtonElement>('note-save');
    const attack = el<HTMLButtonElement>('attack-run');
    const relay = el<HTMLButtonElement>('relay-run');
    save.disabled = false;
    attack.disabled = false;
    relay.disabled = false;
    relay.addEventListener('click', () => {
      callRelay(ctx).catch((err: unknown) => {
        el('relay-result').dataset.state = 'error';
        showError(err);
      });
    });
    el<HTMLFormElement>('note-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = el<HTMLTextAreaElement>('note-text');
      save.disabled = true;
      saveNote(ctx, text.value)
        .then(() => {
          text.value = '';
        })
        .catch(showError)
        .finally(() => {
          save.disabled = false;
        });
    });
    attack.addEventListener('click', () => {
      attack.disabled = true;
      runAttacks(ctx)
        .catch(showError)
        .finally(() => {
          attack.disabled = false;
          document.documentElement.dataset.attacks = 'done';
        });
    });
    document.documentElement.dataset.ready = 'true';
  } catch (err) {
    showError(err);
  }
}

void main();
