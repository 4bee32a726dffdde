/**
 * The connection's life cycle (docs/api.md, "Connection lifecycle"): nothing hangs. A call in
 * flight when the app reloads, moves or removes the enclave's frame, or when the enclave closes
 * its end of the channel, rejects with `ENCLAVE_DISCONNECTED` within a bounded time; `state` and
 * the `statechange`/`disconnect` events say so; later calls fail fast; `reconnect()` (and the
 * automatic reconnection) bring a working channel back. Per-call timeouts and `AbortSignal`s on
 * calls and on `connect()`, `using`, protocol mismatches both ways, and typed refusal reasons.
 *
 * The call kept in flight is a `destroyKey`: it waits in the enclave for the person's consent,
 * which nobody gives (the test build's dialog times out after 8 s).
 */
import type { BrowserFrame, BrowserPage } from '../webkit/browser-page';
import {
  type CoreContext,
  call,
  type ErrorView,
  frameSelector,
  harnessReady,
  openHarness,
  sleep,
  waitFor,
} from './harness';
import { type CoreSuite, expect } from './suite';

/** The error view of the lifecycle harness (`window.srLife`). */
interface LifeError extends ErrorView {
  reason: string | null;
  refused: boolean;
  cause: string | null;
  elapsedMs: number;
}

type Outcome = { value?: unknown; elapsedMs?: number; ok?: boolean; $error?: LifeError };

interface LifeEvent {
  type: 'statechange' | 'disconnect' | 'gap';
  state?: string;
  previous?: string;
  reason?: string;
  code?: string | null;
  willReconnect?: boolean;
  elapsedMs?: number;
}

/** Options of `window.srLife.connect` (JSON only). */
type LifeOptions = {
  url?: string;
  timeoutMs?: number;
  callTimeoutMs?: number;
  livenessMs?: number;
  reconnect?: boolean;
  abortAfterMs?: number;
  gapCall?: boolean;
  capturePort?: boolean;
};

/** Connect through `window.srLife`; the outcome (`{ ok }` or `{ $error }`). */
function lifeConnect(frame: BrowserFrame, options: LifeOptions = {}): Promise<Outcome> {
  return frame.evaluate((o: LifeOptions) => window.srLife.connect(o) as Promise<never>, options);
}

/** Open the harness on the app origin and connect; fails the test unless it connected. */
async function connected(page: BrowserPage, app: string, options: LifeOptions = {}) {
  await openHarness(page, app);
  const result = await lifeConnect(page, options);
  expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
}

/** Start a call with per-call options, without awaiting it; its ticket. */
function start(
  page: BrowserPage,
  op: string,
  args: unknown[] = [],
  callOptions: { timeoutMs?: number; abortAfterMs?: number } = {},
): Promise<number> {
  return page.evaluate(
    (input: { op: string; args: never[]; callOptions: { timeoutMs?: number } }) =>
      window.srLife.start(input.op, input.args, input.callOptions),
    { op, args: args as never[], callOptions },
  );
}

/** Wait until a started call (or connect) has settled; its outcome. */
async function settled(page: BrowserFrame, ticket: number, timeoutMs = 20_000): Promise<Outcome> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const s = (await page.evaluate((t: number) => window.srLife.settled(t), ticket)) as unknown as {
      pending: boolean;
      result?: Outcome;
    };
    if (!s.pending) return s.result ?? {};
    await sleep(50);
  }
  throw new Error(`ticket ${ticket} still pending after ${timeoutMs} ms`);
}

function events(page: BrowserPage): Promise<LifeEvent[]> {
  return page.evaluate(() => window.srLife.events() as never);
}

function state(page: BrowserPage): Promise<string | null> {
  return page.evaluate(() => window.srLife.state() as never);
}

function iframes(page: BrowserPage): Promise<number> {
  return page.evaluate(() => window.sr.iframeCount());
}

/** Wait for the enclave's consent dialog to be open or closed (its `consent` events). */
async function consentPhase(page: BrowserPage, phase: 'open' | 'close', timeoutMs = 15_000) {
  const seen = await waitFor(
    () =>
      page.evaluate(
        (p: string) =>
          (window.sr.consentEvents() as { phase: string }[]).some((e) => e.phase === p),
        phase,
      ),
    true,
    timeoutMs,
  );
  expect(seen, `a consent "${phase}" event`).toBe(true);
}

/** A key to destroy: its id. */
async function newKey(page: BrowserPage): Promise<string> {
  return (await call<{ id: string }>(page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' })).id;
}

/** A call made now must fail at once with ENCLAVE_DISCONNECTED (not queue, not hang). */
async function failsFast(page: BrowserPage): Promise<void> {
  const later = await settled(page, await start(page, 'listKeys'));
  expect(later.$error).toMatchObject({ code: 'ENCLAVE_DISCONNECTED', isStrongroomError: true });
  expect(later.$error?.elapsedMs).toBeLessThan(250);
}

/** How long a disconnect may take to be noticed, at most (measured: well under 1 s). */
const NOTICE_MS = 5_000;

const FRAME_ENDINGS = [
  { action: 'reload', reason: 'frame-reloaded', what: 'reloaded (iframe.src = iframe.src)' },
  { action: 'move', reason: 'frame-moved', what: 'moved in the DOM' },
  { action: 'remove', reason: 'frame-removed', what: 'removed by the app' },
] as const;

/** The lifecycle suites. */
export const LIFECYCLE: readonly CoreSuite[] = [
  {
    describe: 'lifecycle: when the channel ends, nothing hangs',
    tests: [
      ...FRAME_ENDINGS.map(({ action, reason, what }) => ({
        name: `a call in flight when the frame is ${what} rejects with ENCLAVE_DISCONNECTED; reconnect() works`,
        async run({ page, urls }: CoreContext) {
          await connected(page, urls.app);
          const keyId = await newKey(page);
          const ticket = await start(page, 'destroyKey', [keyId]);
          await consentPhase(page, 'open'); // the call waits in the enclave
          const before = Date.now();
          await page.evaluate((a: 'reload' | 'move' | 'remove') => window.srLife.frame(a), action);
          const outcome = await settled(page, ticket);
          expect(outcome.$error).toMatchObject({
            code: 'ENCLAVE_DISCONNECTED',
            isStrongroomError: true,
          });
          expect(Date.now() - before, 'noticed within a bounded time').toBeLessThan(NOTICE_MS);
          expect(await state(page)).toBe('disconnected');
          expect(await events(page)).toMatchObject([
            {
              type: 'statechange',
              previous: 'connected',
              state: 'disconnected',
              code: 'ENCLAVE_DISCONNECTED',
            },
            { type: 'disconnect', reason, code: 'ENCLAVE_DISCONNECTED', willReconnect: false },
          ]);
          await failsFast(page);
          // The dead frame and the consent backdrop are gone.
          expect(await iframes(page)).toBe(0);
          expect(
            await page.evaluate(
              () => document.querySelector('[data-strongroom-backdrop]') === null,
            ),
          ).toBe(true);

          const again = (await page.evaluate(() => window.srLife.reconnect() as never)) as Outcome;
          expect(again, JSON.stringify(again)).toMatchObject({ ok: true });
          expect(await state(page)).toBe('connected');
          expect(await iframes(page)).toBe(1);
          // Pending calls are not replayed: the key was never destroyed.
          expect(await call<{ state: string }>(page, 'getKey', keyId)).toMatchObject({
            state: 'active',
          });
          expect((await events(page)).slice(2)).toMatchObject([
            { type: 'statechange', previous: 'disconnected', state: 'reconnecting' },
            { type: 'statechange', previous: 'reconnecting', state: 'connected' },
          ]);
        },
      })),
      {
        name: 'a state-preserving move (moveBefore) keeps the connection',
        skip: [
          {
            browser: 'webkit',
            reason: 'WebKitGTK 2.50 has no Element.prototype.moveBefore (measured)',
          },
        ],
        async run({ page, urls }) {
          await connected(page, urls.app);
          const keyId = await newKey(page);
          const moved = await page.evaluate(() => window.srLife.frame('moveBefore'));
          expect(moved).toEqual({ supported: true });
          await sleep(1000);
          expect(await state(page)).toBe('connected');
          expect(await events(page)).toEqual([]);
          const sig = await call<Uint8Array>(page, 'sign', keyId, new Uint8Array([1, 2, 3]));
          expect(sig).toHaveLength(64);
        },
      },
      {
        name: 'when the enclave closes its end of the channel, the liveness check ends the connection',
        async run({ page, urls }) {
          await connected(page, urls.app, { livenessMs: 1000, capturePort: true });
          await call(page, 'listKeys'); // the bridge's port is now known to the harness
          await page.evaluate(() => window.srLife.releasePort());
          await sleep(200);
          const outcome = await settled(page, await start(page, 'listKeys'));
          expect(outcome.$error).toMatchObject({ code: 'ENCLAVE_DISCONNECTED' });
          // Quiet for livenessMs, then info() unanswered for livenessMs (the probe's limit).
          expect(outcome.$error?.elapsedMs).toBeGreaterThanOrEqual(1000);
          expect(outcome.$error?.elapsedMs).toBeLessThan(NOTICE_MS);
          expect(await events(page)).toMatchObject([
            { type: 'statechange', state: 'disconnected' },
            { type: 'disconnect', reason: 'unresponsive', willReconnect: false },
          ]);
          await failsFast(page);
          const again = (await page.evaluate(() => window.srLife.reconnect() as never)) as Outcome;
          expect(again).toMatchObject({ ok: true });
          expect(await call(page, 'listKeys')).toEqual([]);
        },
      },
      {
        name: 'automatic reconnection: after a reload the bridge reconnects; calls in the gap fail fast',
        async run({ page, urls }) {
          await connected(page, urls.app, { reconnect: true, gapCall: true });
          const keyId = await newKey(page);
          await page.evaluate(() => window.srLife.frame('reload'));
          const back = await waitFor(
            async () =>
              (await events(page)).some((e) => e.type === 'statechange' && e.state === 'connected'),
            true,
          );
          expect(back, 'reconnected').toBe(true);
          const seen = await events(page);
          expect(seen.filter((e) => e.type !== 'gap')).toMatchObject([
            { type: 'statechange', previous: 'connected', state: 'disconnected' },
            { type: 'disconnect', reason: 'frame-reloaded', willReconnect: true },
            { type: 'statechange', previous: 'disconnected', state: 'reconnecting' },
            { type: 'statechange', previous: 'reconnecting', state: 'connected' },
          ]);
          const gap = seen.find((e) => e.type === 'gap');
          expect(gap).toMatchObject({ code: 'ENCLAVE_DISCONNECTED' });
          expect(gap?.elapsedMs).toBeLessThan(250);
          expect(await state(page)).toBe('connected');
          expect(await iframes(page)).toBe(1);
          const sig = await call<Uint8Array>(page, 'sign', keyId, new Uint8Array([4, 5, 6]));
          expect(sig).toHaveLength(64);
        },
      },
    ],
  },
  {
    describe: 'lifecycle: timeouts and cancellation',
    tests: [
      {
        name: "a call's timeoutMs fires before the consent timeout; the enclave then closes its dialog",
        async run({ page, urls }) {
          await connected(page, urls.app, { callTimeoutMs: 60_000 });
          const keyId = await newKey(page);
          const ticket = await start(page, 'destroyKey', [keyId], { timeoutMs: 1000 });
          const outcome = await settled(page, ticket);
          expect(outcome.$error).toMatchObject({ code: 'CALL_TIMEOUT', isStrongroomError: true });
          expect(outcome.$error?.elapsedMs).toBeGreaterThanOrEqual(900);
          expect(outcome.$error?.elapsedMs).toBeLessThan(4000);
          // The bridge stopped waiting; the enclave's dialog is still open, until the enclave's
          // own consent timeout (8 s in the test build) closes it and hides the frame.
          await consentPhase(page, 'open', 1000);
          expect(
            await page.evaluate(
              () =>
                (document.querySelector('iframe') as HTMLIFrameElement).dataset.strongroomConsent,
            ),
          ).toBe('open');
          await consentPhase(page, 'close', 12_000);
          expect(
            await page.evaluate(
              () =>
                (document.querySelector('iframe') as HTMLIFrameElement).dataset.strongroomConsent,
            ),
          ).toBe('closed');
          // Nobody approved: nothing was destroyed, and the connection is fine.
          expect(await call<{ state: string }>(page, 'getKey', keyId)).toMatchObject({
            state: 'active',
          });
          expect(await state(page)).toBe('connected');
        },
      },
      {
        name: "connect({ callTimeoutMs }) is every call's default; a call's own timeoutMs overrides it",
        async run({ page, urls }) {
          await connected(page, urls.app, { callTimeoutMs: 1000 });
          const keyId = await newKey(page);
          const listed = await settled(
            page,
            await start(page, 'listKeys', [], { timeoutMs: 20_000 }),
          );
          expect(listed.value).toHaveLength(1);
          const outcome = await settled(page, await start(page, 'destroyKey', [keyId]));
          expect(outcome.$error).toMatchObject({ code: 'CALL_TIMEOUT' });
          expect(outcome.$error?.elapsedMs).toBeLessThan(4000);
        },
      },
      {
        name: 'an AbortSignal on a call rejects it with ABORTED (already aborted: nothing is sent)',
        async run({ page, urls }) {
          await connected(page, urls.app);
          const keyId = await newKey(page);
          const aborted = await settled(
            page,
            await start(page, 'destroyKey', [keyId], { abortAfterMs: 500 }),
          );
          expect(aborted.$error).toMatchObject({
            code: 'ABORTED',
            isStrongroomError: true,
            cause: 'aborted by the test',
          });
          expect(aborted.$error?.elapsedMs).toBeLessThan(3000);
          const before = await settled(
            page,
            await start(page, 'listKeys', [], { abortAfterMs: 0 }),
          );
          expect(before.$error).toMatchObject({ code: 'ABORTED' });
          expect(before.$error?.elapsedMs).toBeLessThan(100);
          expect(await state(page)).toBe('connected');
        },
      },
      {
        name: 'an AbortSignal on connect() aborts the handshake and removes the iframe',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          // An "enclave" that never answers: without the signal this waits 15 s.
          const never = await lifeConnect(page, {
            url: `${urls.secondApp}/double.html`,
            timeoutMs: 15_000,
            abortAfterMs: 500,
          });
          expect(never.$error).toMatchObject({
            code: 'ABORTED',
            cause: 'Error: aborted by the test',
          });
          expect(never.$error?.elapsedMs).toBeLessThan(3000);
          expect(await iframes(page)).toBe(0);
          // The real enclave, aborted right after the frame was created.
          const early = await lifeConnect(page, { abortAfterMs: 1 });
          expect(early.$error).toMatchObject({ code: 'ABORTED' });
          expect(await iframes(page)).toBe(0);
          // Already aborted: no frame at all.
          const before = await lifeConnect(page, { abortAfterMs: 0 });
          expect(before.$error).toMatchObject({ code: 'ABORTED' });
          expect(await iframes(page)).toBe(0);
          // And a connect without a signal still works on this page.
          expect(await lifeConnect(page)).toMatchObject({ ok: true });
        },
      },
      {
        name: '`using` and `await using` dispose of the enclave at the end of the block',
        async run({ page, urls }) {
          await connected(page, urls.app);
          expect(
            await page.evaluate(() => window.srLife.leaveUsing('sync') as Promise<unknown>),
          ).toEqual({
            state: 'disposed',
            disposed: true,
            iframes: 0,
          });
          expect(await lifeConnect(page)).toMatchObject({ ok: true });
          expect(
            await page.evaluate(() => window.srLife.leaveUsing('async') as Promise<unknown>),
          ).toEqual({
            state: 'disposed',
            disposed: true,
            iframes: 0,
          });
        },
      },
    ],
  },
  {
    describe: 'lifecycle: clear errors at the edges',
    tests: [
      {
        name: 'an enclave of another protocol version: PROTOCOL_MISMATCH at once, not HANDSHAKE_TIMEOUT',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          // A page of another origin stands in for the enclave and announces protocol 2.
          const fake = `${urls.secondApp}/harness.html`;
          const ticket = await page.evaluate(
            (url: string) => window.srLife.startConnect({ url, timeoutMs: 20_000 }),
            fake,
          );
          const inner = page.frame(frameSelector(fake));
          await harnessReady(inner);
          const before = Date.now();
          // Posted a moment later: the bridge removes the frame at once, and WebDriver wants its
          // script in that frame to have returned first.
          await inner.evaluate((app: string) => {
            setTimeout(
              () => window.parent.postMessage({ type: 'strongroom:ready', protocol: 2 }, app),
              100,
            );
          }, urls.app);
          const outcome = await settled(page, ticket);
          expect(outcome.$error).toMatchObject({
            code: 'PROTOCOL_MISMATCH',
            isStrongroomError: true,
          });
          expect(outcome.$error?.message).toContain('protocol 2');
          expect(Date.now() - before).toBeLessThan(NOTICE_MS);
          expect(await iframes(page)).toBe(0);
        },
      },
      {
        name: 'an enclave that refuses this bridge as protocol-mismatch: the bridge says PROTOCOL_MISMATCH',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          // What an enclave of another protocol answers this bridge's connect with (the enclave's
          // own answer is checked in the next test): the bridge must name the cause, not a
          // generic ENCLAVE_UNAVAILABLE refusal.
          const fake = `${urls.secondApp}/harness.html`;
          const ticket = await page.evaluate(
            (url: string) => window.srLife.startConnect({ url, timeoutMs: 20_000 }),
            fake,
          );
          const inner = page.frame(frameSelector(fake));
          await harnessReady(inner);
          await inner.evaluate((app: string) => {
            setTimeout(
              () =>
                window.parent.postMessage(
                  { type: 'strongroom:refused', protocol: 2, reason: 'protocol-mismatch' },
                  app,
                ),
              100,
            );
          }, urls.app);
          const outcome = await settled(page, ticket);
          expect(outcome.$error).toMatchObject({
            code: 'PROTOCOL_MISMATCH',
            isStrongroomError: true,
          });
          expect(outcome.$error?.message).toContain('protocol 2');
          expect(await iframes(page)).toBe(0);
        },
      },
      {
        name: 'a bridge of another protocol version: the enclave answers refused: protocol-mismatch',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          const other = (await page.evaluate(
            (url: string) => window.srLife.rawConnect(2, { url, waitMs: 20_000 }) as never,
            urls.enclave,
          )) as { seen: unknown[]; accepted: boolean };
          expect(other.accepted).toBe(false);
          expect(other.seen).toEqual([
            { type: 'strongroom:ready', protocol: 1 },
            { type: 'strongroom:refused', protocol: 1, reason: 'protocol-mismatch' },
          ]);
          // Control: the same raw client with protocol 1 is accepted, and refused nothing.
          const same = (await page.evaluate(
            (url: string) => window.srLife.rawConnect(1, { url, waitMs: 20_000 }) as never,
            urls.enclave,
          )) as { seen: unknown[]; accepted: boolean };
          expect(same.accepted).toBe(true);
          expect(same.seen).toEqual([{ type: 'strongroom:ready', protocol: 1 }]);
        },
      },
      {
        name: 'a refusal is ENCLAVE_UNAVAILABLE with a typed reason (framed-twice)',
        async run({ page, urls }) {
          await page.goto(
            `${urls.app}/double.html?inner=${encodeURIComponent(`${urls.secondApp}/harness.html`)}`,
          );
          const inner = page.frame(frameSelector(`${urls.secondApp}/harness.html`));
          await harnessReady(inner);
          const outcome = await lifeConnect(inner, { url: urls.enclave, timeoutMs: 5000 });
          expect(outcome.$error).toMatchObject({
            code: 'ENCLAVE_UNAVAILABLE',
            isStrongroomError: true,
            refused: true,
            reason: 'framed-twice',
          });
        },
      },
    ],
  },
];
