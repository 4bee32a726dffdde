/**
 * The connection's life cycle under Node, with a fake channel: a real `MessageChannel` whose far
 * end exposes a fake enclave through Comlink, and a fake frame whose end the test decides.
 * What needs a browser (the frame itself, the handshake) is in e2e/core/lifecycle.ts.
 */
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './connect';
import type { ConnectionConfig } from './connection';
import { Enclave } from './enclave';
import { isStrongroomError, StrongroomError } from './errors';
import { EnclaveRefusedError } from './handshake';
import {
  backoffDelay,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_RECONNECT,
  type DisconnectDetail,
  type DisconnectReason,
  type Link,
  resolveCallOptions,
  resolveReconnect,
  type StateChangeDetail,
} from './lifecycle';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake enclave: what it was called with, and operations that answer, or never do. */
function fakeApi() {
  const calls: { name: string; args: unknown[] }[] = [];
  const record =
    (name: string, answer: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      calls.push({ name, args });
      return answer(...args);
    };
  const never = () => new Promise<never>(() => undefined);
  return {
    calls,
    api: {
      info: record('info', () => ({ name: 'strongroom', releaseDigest: 'a'.repeat(64) })),
      listKeys: record('listKeys', () => []),
      sign: record('sign', () => new Uint8Array(64)),
      scheduleDeletion: record('scheduleDeletion', () => ({ id: 'k' })),
      destroyKey: record('destroyKey', never),
    },
  };
}

/** A fake channel: the far end serves `api`; `lose()` ends it as a frame would; `deafen()` closes the far end silently. */
function fakeLink(api: object) {
  const { port1, port2 } = new MessageChannel();
  expose(api, port2 as never);
  let lost: ((reason: DisconnectReason) => void) | null = null;
  const state = { closed: false, watched: false };
  const link: Link = {
    port: port1,
    batch: null,
    iframe: { remove: () => undefined } as unknown as HTMLIFrameElement,
    watch(_target, onLost) {
      state.watched = true;
      lost = onLost;
    },
    close() {
      state.closed = true;
      port1.close();
      port2.close();
    },
  };
  return {
    link,
    state,
    lose: (reason: DisconnectReason) => lost?.(reason),
    deafen: () => port2.close(),
  };
}

type Fake = ReturnType<typeof fakeLink>;

const open: Enclave[] = [];
const links: Fake[] = [];

afterEach(() => {
  for (const e of open.splice(0)) e.dispose();
  for (const l of links.splice(0)) l.link.close();
});

function config(overrides: Partial<ConnectionConfig> = {}): ConnectionConfig {
  return {
    open: () => Promise.reject(new StrongroomError('HANDSHAKE_TIMEOUT', 'no enclave here')),
    callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS,
    livenessMs: Infinity,
    reconnect: null,
    random: () => 0,
    ...overrides,
  };
}

/** A connected Enclave over a fake channel, with every event recorded. */
function connected(overrides: Partial<ConnectionConfig> = {}, api = fakeApi()) {
  const first = fakeLink(api.api);
  links.push(first);
  const enclave = new Enclave(first.link, config(overrides));
  open.push(enclave);
  const events: string[] = [];
  enclave.addEventListener('statechange', (e) => {
    events.push(`state:${e.detail.previous}->${e.detail.state}`);
  });
  enclave.addEventListener('disconnect', (e) => {
    events.push(`disconnect:${e.detail.reason}:${e.detail.willReconnect}`);
  });
  return { enclave, first, events, calls: api.calls, api };
}

/** A `config.open` that hands out fresh fake channels (and remembers them). */
function opener(api = fakeApi()) {
  const made: Fake[] = [];
  return {
    made,
    open: async (signal: AbortSignal) => {
      if (signal.aborted) throw new StrongroomError('ABORTED', 'aborted');
      const l = fakeLink(api.api);
      made.push(l);
      links.push(l);
      return l.link;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<StrongroomError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StrongroomError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('connect() outside a browser window', () => {
  it('says that it needs a browser window, not that the URL is invalid', async () => {
    const err = await rejection(connect({ url: 'https://kms.example/' }));
    expect(err.code).toBe('ENCLAVE_UNAVAILABLE');
    expect(err.message).toMatch(/browser window/);
    expect(err.message).not.toMatch(/URL/);
  });
});

describe('per-call options', () => {
  it('are stripped before the call crosses: the enclave gets only its own arguments', async () => {
    const { enclave, calls } = connected();
    await enclave.sign('k', new Uint8Array([1]), { timeoutMs: 5000 });
    await enclave.listKeys({ signal: new AbortController().signal });
    await enclave.scheduleDeletion('k', { days: 3 }, { timeoutMs: 5000 });
    await enclave.scheduleDeletion('k', undefined, { timeoutMs: 5000 });
    expect(calls.map((c) => [c.name, c.args.length])).toEqual([
      ['sign', 2],
      ['listKeys', 0],
      ['scheduleDeletion', 2],
      ['scheduleDeletion', 1],
    ]);
  });

  it('are checked: unknown members and bad values are INVALID_ARGUMENT, and nothing is sent', async () => {
    const { enclave, calls } = connected();
    for (const bad of [{ days: 3 }, { timeoutMs: 0 }, { timeoutMs: -1 }, { signal: {} }, 'x']) {
      const err = await rejection(enclave.listKeys(bad as never));
      expect(err.code).toBe('INVALID_ARGUMENT');
    }
    expect(calls).toEqual([]);
    expect(resolveCallOptions({ timeoutMs: Infinity }, 5).timeoutMs).toBe(Infinity);
    expect(resolveCallOptions(undefined, 5).timeoutMs).toBe(5);
  });
});

describe('timeouts', () => {
  it('the default outlasts the enclave’s default consent timeout (60 s)', () => {
    expect(DEFAULT_CALL_TIMEOUT_MS).toBeGreaterThan(60_000);
  });

  it('a call that gets no answer rejects with CALL_TIMEOUT (connection default)', async () => {
    const { enclave } = connected({ callTimeoutMs: 60 });
    const started = Date.now();
    const err = await rejection(enclave.destroyKey('k'));
    expect(err.code).toBe('CALL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    // The connection is fine: other calls still answer.
    expect(await enclave.listKeys()).toEqual([]);
    expect(enclave.state).toBe('connected');
  });

  it("a call's own timeoutMs overrides the connection's, and Infinity means none", async () => {
    const { enclave } = connected({ callTimeoutMs: 10 });
    const err = await rejection(enclave.destroyKey('k', { timeoutMs: 80 }));
    expect(err.code).toBe('CALL_TIMEOUT');
    expect(err.message).toContain('80 ms');
    let settled = false;
    const forever = enclave.destroyKey('k', { timeoutMs: Infinity }).finally(() => {
      settled = true;
    });
    await sleep(60);
    expect(settled).toBe(false);
    enclave.dispose();
    expect((await rejection(forever)).code).toBe('ENCLAVE_UNAVAILABLE');
  });
});

describe('AbortSignal on a call', () => {
  it('an aborted signal rejects with ABORTED before anything is sent', async () => {
    const { enclave, calls } = connected();
    const reason = new Error('user left');
    const err = await rejection(
      enclave.sign('k', new Uint8Array(1), { signal: AbortSignal.abort(reason) }),
    );
    expect(err.code).toBe('ABORTED');
    expect(err.cause).toBe(reason);
    expect(calls).toEqual([]);
  });

  it('aborting a call in flight rejects it with ABORTED, with the reason as cause', async () => {
    const { enclave } = connected();
    const controller = new AbortController();
    const pending = enclave.destroyKey('k', { signal: controller.signal });
    await sleep(10);
    controller.abort('changed my mind');
    const err = await rejection(pending);
    expect(err.code).toBe('ABORTED');
    expect(err.cause).toBe('changed my mind');
    expect(enclave.state).toBe('connected');
  });
});

describe('when the channel ends', () => {
  it('pending calls reject with ENCLAVE_DISCONNECTED, the state and events say so, later calls fail fast', async () => {
    const { enclave, first, events } = connected();
    const pending = [enclave.destroyKey('a'), enclave.destroyKey('b')];
    await sleep(10);
    let stateInEvent = '';
    let detail: DisconnectDetail | null = null;
    enclave.addEventListener('disconnect', (e) => {
      stateInEvent = enclave.state;
      detail = e.detail;
    });
    first.lose('frame-reloaded');
    for (const p of pending) expect((await rejection(p)).code).toBe('ENCLAVE_DISCONNECTED');
    expect(enclave.state).toBe('disconnected');
    expect(stateInEvent).toBe('disconnected');
    expect(detail).toMatchObject({ reason: 'frame-reloaded', willReconnect: false });
    expect(events).toEqual(['state:connected->disconnected', 'disconnect:frame-reloaded:false']);
    expect(first.state.closed).toBe(true);
    const started = Date.now();
    expect((await rejection(enclave.listKeys())).code).toBe('ENCLAVE_DISCONNECTED');
    expect(Date.now() - started).toBeLessThan(50);
    expect(enclave.disposed).toBe(false);
  });

  it('reconnect() makes a fresh channel; pending calls are not replayed; new calls work', async () => {
    const api = fakeApi();
    const made = opener(api);
    const { enclave, first, events, calls } = connected({ open: made.open }, api);
    first.lose('frame-removed');
    await enclave.reconnect();
    expect(enclave.state).toBe('connected');
    expect(made.made).toHaveLength(1);
    expect(made.made[0]?.state.watched).toBe(true);
    expect(await enclave.listKeys()).toEqual([]);
    expect(calls.map((c) => c.name)).toEqual(['listKeys']);
    expect(events).toEqual([
      'state:connected->disconnected',
      'disconnect:frame-removed:false',
      'state:disconnected->reconnecting',
      'state:reconnecting->connected',
    ]);
  });

  it('reconnect() while connected replaces the channel and rejects its pending calls', async () => {
    const made = opener();
    const { enclave, first, events } = connected({ open: made.open });
    const pending = enclave.destroyKey('k');
    await sleep(10);
    await enclave.reconnect();
    const err = await rejection(pending);
    expect(err.code).toBe('ENCLAVE_DISCONNECTED');
    expect(first.state.closed).toBe(true);
    expect(events).toEqual(['state:connected->reconnecting', 'state:reconnecting->connected']);
  });

  it('a failed reconnect() rejects with its error and leaves the state disconnected', async () => {
    const { enclave, first, events } = connected();
    first.lose('frame-moved');
    const err = await rejection(enclave.reconnect());
    expect(err.code).toBe('HANDSHAKE_TIMEOUT');
    expect(enclave.state).toBe('disconnected');
    expect(events.at(-1)).toBe('state:reconnecting->disconnected');
  });

  it('the expectDigest check runs again after a reconnect', async () => {
    const made = opener();
    let checks = 0;
    const { enclave, first } = connected({
      open: made.open,
      verify: async (info) => {
        checks++;
        const reported = (await info({ timeoutMs: 1000 })).releaseDigest;
        if (reported !== 'b'.repeat(64)) throw new StrongroomError('DIGEST_MISMATCH', 'other');
      },
    });
    first.lose('frame-reloaded');
    expect((await rejection(enclave.reconnect())).code).toBe('DIGEST_MISMATCH');
    expect(checks).toBe(1);
    expect(enclave.state).toBe('disconnected');
    expect(made.made[0]?.state.closed).toBe(true);
  });
});

describe('the liveness check', () => {
  it('a call to an enclave whose end is closed ends as unresponsive, within about twice livenessMs', async () => {
    const { enclave, first, events } = connected({ livenessMs: 100 });
    expect(await enclave.listKeys()).toEqual([]);
    first.deafen();
    const started = Date.now();
    const err = await rejection(enclave.listKeys());
    expect(err.code).toBe('ENCLAVE_DISCONNECTED');
    expect(Date.now() - started).toBeLessThan(600);
    expect(events).toContain('disconnect:unresponsive:false');
  });

  it('checks far less often while a consent dialog is open (the enclave is talking to the person)', async () => {
    const { enclave, first } = connected({ livenessMs: 50 });
    enclave.dispatchEvent(new CustomEvent('consent', { detail: { phase: 'open' } }));
    first.deafen();
    const pending = enclave.listKeys();
    await sleep(300);
    expect(enclave.state).toBe('connected');
    enclave.dispatchEvent(new CustomEvent('consent', { detail: { phase: 'close' } }));
    expect((await rejection(pending)).code).toBe('ENCLAVE_DISCONNECTED');
  });

  it('does not end a live channel whose call takes long', async () => {
    const { enclave, calls } = connected({ livenessMs: 50 });
    const pending = enclave.destroyKey('k', { timeoutMs: 400 });
    expect((await rejection(pending)).code).toBe('CALL_TIMEOUT');
    expect(enclave.state).toBe('connected');
    // The checks asked info(), and were answered.
    expect(calls.filter((c) => c.name === 'info').length).toBeGreaterThan(0);
  });
});

describe('automatic reconnection', () => {
  it('reconnects after a lost channel; calls during the gap fail fast', async () => {
    const made = opener();
    const { enclave, first, events } = connected({
      open: made.open,
      reconnect: { ...DEFAULT_RECONNECT, initialDelayMs: 10 },
    });
    let gap: Promise<unknown> | null = null;
    enclave.addEventListener('disconnect', () => {
      gap = enclave.listKeys();
    });
    first.lose('frame-reloaded');
    expect(enclave.state).toBe('reconnecting');
    expect((await rejection(gap ?? Promise.resolve())).code).toBe('ENCLAVE_DISCONNECTED');
    await enclave.reconnect(); // joins the reconnection under way
    expect(enclave.state).toBe('connected');
    expect(await enclave.listKeys()).toEqual([]);
    expect(events).toEqual([
      'state:connected->disconnected',
      'disconnect:frame-reloaded:true',
      'state:disconnected->reconnecting',
      'state:reconnecting->connected',
    ]);
  });

  it('retries with backoff, then gives up after maxAttempts with the last error', async () => {
    let attempts = 0;
    const { enclave, first, events } = connected({
      open: async () => {
        attempts++;
        throw new StrongroomError('HANDSHAKE_TIMEOUT', `attempt ${attempts}`);
      },
      reconnect: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const finished = new Promise<StateChangeDetail>((resolve) => {
      enclave.addEventListener('statechange', (e) => {
        if (e.detail.state === 'disconnected' && e.detail.previous === 'reconnecting') {
          resolve(e.detail);
        }
      });
    });
    first.lose('frame-removed');
    const detail = await finished;
    expect(attempts).toBe(3);
    expect(detail.error?.message).toBe('attempt 3');
    expect(enclave.state).toBe('disconnected');
    expect(events.filter((e) => e.startsWith('state:'))).toEqual([
      'state:connected->disconnected',
      'state:disconnected->reconnecting',
      'state:reconnecting->disconnected',
    ]);
  });

  it('stops at once on an error that would repeat (PROTOCOL_MISMATCH, refusals)', async () => {
    for (const error of [
      new StrongroomError('PROTOCOL_MISMATCH', 'protocol 2'),
      new EnclaveRefusedError('framed-twice', 'refused'),
    ]) {
      let attempts = 0;
      const { enclave, first } = connected({
        open: async () => {
          attempts++;
          throw error;
        },
        reconnect: { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 10 },
      });
      first.lose('frame-reloaded');
      await sleep(100);
      expect(attempts).toBe(1);
      expect(enclave.state).toBe('disconnected');
    }
  });

  it('dispose() during a reconnection stops it and aborts its handshake', async () => {
    let signalSeen: AbortSignal | null = null;
    const { enclave, first } = connected({
      open: (signal) => {
        signalSeen = signal;
        return new Promise<Link>(() => undefined);
      },
      reconnect: DEFAULT_RECONNECT,
    });
    first.lose('frame-reloaded');
    await sleep(10);
    expect(enclave.state).toBe('reconnecting');
    enclave.dispose();
    expect(enclave.state).toBe('disposed');
    expect((signalSeen as AbortSignal | null)?.aborted).toBe(true);
  });

  it('backoff: none before the first attempt, then doubling up to maxDelayMs, randomly halved at most', () => {
    const policy = { maxAttempts: 10, initialDelayMs: 500, maxDelayMs: 4000 };
    expect(backoffDelay(1, policy, () => 1)).toBe(0);
    expect([2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 1))).toEqual([
      500, 1000, 2000, 4000, 4000,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(500);
  });

  it('options are checked', () => {
    expect(resolveReconnect(undefined)).toBeNull();
    expect(resolveReconnect(false)).toBeNull();
    expect(resolveReconnect(true)).toEqual(DEFAULT_RECONNECT);
    expect(resolveReconnect({ maxAttempts: Infinity })?.maxAttempts).toBe(Infinity);
    for (const bad of [{ maxAttempts: 0 }, { tries: 3 }, { initialDelayMs: -5 }, 'yes']) {
      expect(() => resolveReconnect(bad)).toThrow(StrongroomError);
    }
  });
});

describe('dispose', () => {
  it('rejects pending calls with ENCLAVE_UNAVAILABLE and announces the state', async () => {
    const { enclave, first, events } = connected();
    const pending = enclave.destroyKey('k');
    await sleep(5);
    enclave.dispose();
    expect((await rejection(pending)).code).toBe('ENCLAVE_UNAVAILABLE');
    expect((await rejection(enclave.listKeys())).code).toBe('ENCLAVE_UNAVAILABLE');
    expect((await rejection(enclave.reconnect())).code).toBe('ENCLAVE_UNAVAILABLE');
    expect(enclave.disposed).toBe(true);
    expect(first.state.closed).toBe(true);
    expect(events).toEqual(['state:connected->disposed']);
  });

  it('`using` disposes at the end of the block', () => {
    const { enclave, first } = connected();
    {
      using scoped = enclave;
      expect(scoped.state).toBe('connected');
    }
    expect(enclave.state).toBe('disposed');
    expect(first.state.closed).toBe(true);
  });

  it('`await using` disposes too', async () => {
    const { enclave } = connected();
    {
      await using scoped = enclave;
      expect(scoped.disposed).toBe(false);
    }
    expect(enclave.disposed).toBe(true);
  });
});

describe('refusals', () => {
  it('carry a typed reason and stay ENCLAVE_UNAVAILABLE StrongroomErrors', () => {
    const err = new EnclaveRefusedError(
      'framed-twice',
      'the enclave refused to start: framed-twice',
    );
    expect(err).toBeInstanceOf(StrongroomError);
    expect(isStrongroomError(err, 'ENCLAVE_UNAVAILABLE')).toBe(true);
    expect(err.reason).toBe('framed-twice');
    expect(err.name).toBe('StrongroomError');
  });
});
