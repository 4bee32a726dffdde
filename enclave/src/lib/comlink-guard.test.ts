import { OPERATION_MAX_ARGS, OPERATION_NAMES } from '@strongroom/bridge/protocol';
import { expose } from 'comlink';
import { describe, expect, it } from 'vitest';
import { checkMessage, guardedEndpoint } from './comlink-guard';

const OPS = new Set(['sign', 'listKeys']);
const raw = (value: unknown) => ({ type: 'RAW', value });

/** A port that records what is posted and when it is closed, and delivers messages on demand. */
class FakePort {
  readonly log: (['post', unknown] | ['close'])[] = [];
  readonly listeners = new Set<(event: MessageEvent) => void>();
  closed = false;

  postMessage(message: unknown): void {
    if (!this.closed) this.log.push(['post', message]);
  }
  addEventListener(_type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.delete(listener);
  }
  start(): void {}
  close(): void {
    this.closed = true;
    this.log.push(['close']);
  }
  /** Deliver `data` as a message event to every listener, as a browser would for a port. */
  deliver(data: unknown): void {
    for (const listener of [...this.listeners]) listener({ data, origin: '' } as MessageEvent);
  }
  get posted(): unknown[] {
    return this.log.flatMap((entry) => (entry[0] === 'post' ? [entry[1]] : []));
  }
}

/** A fake port behind the guard, with a real Comlink `expose` of a few operations. */
function exposed(batch: number | null = null) {
  const port = new FakePort();
  let violations = 0;
  const calls: unknown[][] = [];
  const api = Object.freeze(
    Object.assign(Object.create(null), {
      listKeys: (...args: unknown[]) => {
        calls.push(args);
        return [];
      },
      sign: (...args: unknown[]) => {
        calls.push(args);
        return 'signed';
      },
    }),
  );
  const ep = guardedEndpoint(port as unknown as MessagePort, OPS, {
    onViolation: () => {
      violations += 1;
    },
    batch,
  });
  expose(api, ep, ['']);
  return { port, ep, calls, violations: () => violations };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function violation(id: string) {
  return {
    id,
    type: 'HANDLER',
    name: 'throw',
    value: { code: 'PROTOCOL_VIOLATION', message: expect.any(String) },
  };
}

/** Values whose conversion to a string throws. */
const UNSTRINGIFIABLE: [string, unknown][] = [
  ['an object whose toString is not callable', { toString: 1 }],
  ['an object with toString and valueOf not callable', { toString: 1, valueOf: 1 }],
  ['an object with a null prototype', Object.create(null)],
  ['a symbol', Symbol('x')],
];

describe('checkMessage', () => {
  it('lets through APPLY on exactly one operation name with RAW arguments, and RELEASE', () => {
    expect(
      checkMessage(
        { id: 'a', type: 'APPLY', path: ['sign'], argumentList: [raw('k'), raw(1)] },
        OPS,
      ),
    ).toBeNull();
    expect(checkMessage({ id: 'a', type: 'APPLY', path: ['listKeys'] }, OPS)).toBeNull();
    expect(checkMessage({ id: 'a', type: 'RELEASE' }, OPS)).toBeNull();
  });

  describe('when the message is a Comlink escape', () => {
    it.each([
      ['GET', { id: 'a', type: 'GET', path: ['sign'] }],
      ['SET', { id: 'a', type: 'SET', path: ['__proto__', 'x'], value: raw(1) }],
      [
        'CONSTRUCT',
        { id: 'a', type: 'CONSTRUCT', path: ['constructor', 'constructor'], argumentList: [] },
      ],
      ['ENDPOINT', { id: 'a', type: 'ENDPOINT' }],
      ['nested path', { id: 'a', type: 'APPLY', path: ['sign', 'call'] }],
      ['prototype path', { id: 'a', type: 'APPLY', path: ['__proto__'] }],
      ['constructor path', { id: 'a', type: 'APPLY', path: ['constructor'] }],
      ['unknown name', { id: 'a', type: 'APPLY', path: ['exportKey'] }],
      ['empty path', { id: 'a', type: 'APPLY', path: [] }],
      ['non-string path', { id: 'a', type: 'APPLY', path: [1] }],
      [
        'proxy argument',
        {
          id: 'a',
          type: 'APPLY',
          path: ['sign'],
          argumentList: [{ type: 'HANDLER', name: 'proxy' }],
        },
      ],
      ['argument list not an array', { id: 'a', type: 'APPLY', path: ['sign'], argumentList: {} }],
    ])('refuses %s', (_, message) => {
      expect(checkMessage(message, OPS)).toEqual(expect.any(String));
    });
  });

  it('refuses messages without a usable id, even well-formed calls', () => {
    for (const id of [undefined, '', 7, 'x'.repeat(257)]) {
      expect(checkMessage({ id, type: 'APPLY', path: ['listKeys'] }, OPS)).toEqual(
        expect.any(String),
      );
    }
    for (const junk of [null, 'APPLY', 42, []])
      expect(checkMessage(junk, OPS)).toEqual(expect.any(String));
  });

  describe('when the type cannot be converted to a string', () => {
    it.each(UNSTRINGIFIABLE)('refuses %s without throwing, naming only its typeof', (_, type) => {
      let reason: string | null = null;
      expect(() => {
        reason = checkMessage({ id: 'a', type, path: ['listKeys'] }, OPS);
      }).not.toThrow();
      expect(reason).toMatch(/type of type (object|symbol)/);
    });
  });

  describe('when reading the message throws', () => {
    it('refuses it instead of throwing', () => {
      const getters = {
        id: 'a',
        get type(): string {
          throw new Error('boom');
        },
      };
      const trap = new Proxy(
        {},
        {
          get() {
            throw new Error('boom');
          },
        },
      );
      expect(checkMessage(getters, OPS)).toEqual(expect.any(String));
      expect(checkMessage(trap, OPS)).toEqual(expect.any(String));
    });
  });

  describe('RELEASE', () => {
    it('passes in the exact form Comlink sends (an empty path tolerated)', () => {
      expect(checkMessage({ id: 'a', type: 'RELEASE' }, OPS)).toBeNull();
      expect(checkMessage({ id: 'a', type: 'RELEASE', path: [] }, OPS)).toBeNull();
    });

    it.each([
      ['an operation path', { id: 'a', type: 'RELEASE', path: ['sign'] }],
      ['an escape path', { id: 'a', type: 'RELEASE', path: ['constructor', 'constructor'] }],
      ['a path that is not an array', { id: 'a', type: 'RELEASE', path: 'sign' }],
      ['a null path', { id: 'a', type: 'RELEASE', path: null }],
      ['an argument list', { id: 'a', type: 'RELEASE', argumentList: [raw(1)] }],
      ['a value', { id: 'a', type: 'RELEASE', value: raw(1) }],
      ['no id', { type: 'RELEASE' }],
    ])('refuses one with %s', (_, message) => {
      expect(checkMessage(message, OPS)).toEqual(expect.any(String));
    });
  });

  describe('argument count', () => {
    it('accepts up to the operation maximum and refuses one more', () => {
      const args = (n: number) => Array.from({ length: n }, () => raw(0));
      expect(OPERATION_MAX_ARGS.sign).toBe(2);
      expect(
        checkMessage({ id: 'a', type: 'APPLY', path: ['sign'], argumentList: args(2) }, OPS),
      ).toBeNull();
      expect(
        checkMessage({ id: 'a', type: 'APPLY', path: ['sign'], argumentList: args(3) }, OPS),
      ).toMatch(/too many arguments/);
      expect(
        checkMessage({ id: 'a', type: 'APPLY', path: ['listKeys'], argumentList: args(1) }, OPS),
      ).toMatch(/too many arguments/);
      expect(
        checkMessage({ id: 'a', type: 'APPLY', path: ['sign'], argumentList: args(200_000) }, OPS),
      ).toMatch(/too many arguments/);
    });

    it('refuses too many arguments before looking at any of them', () => {
      let touched = 0;
      const argumentList = new Array(200_000);
      for (let i = 0; i < 3; i++) {
        Object.defineProperty(argumentList, i, {
          get() {
            touched += 1;
            return raw(0);
          },
        });
      }
      expect(checkMessage({ id: 'a', type: 'APPLY', path: ['sign'], argumentList }, OPS)).toMatch(
        /too many arguments/,
      );
      expect(touched).toBe(0);
    });

    it('has a bound for every operation, and refuses a name that has none', () => {
      const all = new Set<string>(OPERATION_NAMES);
      for (const name of OPERATION_NAMES) {
        const max = OPERATION_MAX_ARGS[name];
        const argumentList = Array.from({ length: max }, () => raw(0));
        expect(checkMessage({ id: 'a', type: 'APPLY', path: [name], argumentList }, all)).toBe(
          null,
        );
      }
      expect(
        checkMessage({ id: 'a', type: 'APPLY', path: ['toString'] }, new Set(['toString'])),
      ).toEqual(expect.any(String));
    });
  });
});

describe('guardedEndpoint', () => {
  describe('when a message cannot be converted to a string or read', () => {
    it.each(UNSTRINGIFIABLE)('answers a type that is %s with PROTOCOL_VIOLATION', (_, type) => {
      const { port, calls, violations } = exposed();
      expect(() => port.deliver({ id: 'bad', type, path: ['listKeys'] })).not.toThrow();
      expect(port.posted).toEqual([violation('bad')]);
      expect(calls).toEqual([]);
      expect(violations()).toBe(1);
    });

    it('answers a message whose members throw when read, and drops one without a readable id', () => {
      const { port, calls, violations } = exposed();
      const getters = {
        id: 'g',
        get type(): string {
          throw new Error('boom');
        },
      };
      expect(() => port.deliver(getters)).not.toThrow();
      const trap = new Proxy(
        {},
        {
          get() {
            throw new Error('boom');
          },
        },
      );
      expect(() => port.deliver(trap)).not.toThrow();
      expect(port.posted).toEqual([violation('g')]);
      expect(calls).toEqual([]);
      expect(violations()).toBe(2);
    });

    it('keeps serving afterwards', async () => {
      const { port } = exposed();
      port.deliver({ id: 'bad', type: { toString: 1 } });
      port.deliver({ id: 'ok', type: 'APPLY', path: ['listKeys'] });
      await tick();
      expect(port.posted).toEqual([violation('bad'), { id: 'ok', type: 'RAW', value: [] }]);
    });
  });

  it('answers too many arguments with PROTOCOL_VIOLATION without calling the operation', async () => {
    const { port, calls } = exposed();
    const argumentList = Array.from({ length: 200_000 }, () => raw(0));
    port.deliver({ id: 'many', type: 'APPLY', path: ['sign'], argumentList });
    port.deliver({
      id: 'three',
      type: 'APPLY',
      path: ['sign'],
      argumentList: [raw(1), raw(2), raw(3)],
    });
    await tick();
    expect(port.posted).toEqual([violation('many'), violation('three')]);
    expect(calls).toEqual([]);
  });

  it('calls onViolation once per refused message, answered or dropped, and never for a passed one', async () => {
    const { port, violations } = exposed();
    port.deliver({ id: 'a', type: 'GET', path: ['sign'] });
    port.deliver({ type: 'APPLY', path: ['listKeys'] });
    port.deliver(null);
    port.deliver({ id: 'b', type: 'APPLY', path: ['listKeys'] });
    await tick();
    expect(violations()).toBe(3);
  });

  it('swallows an exception of onViolation', () => {
    const port = new FakePort();
    guardedEndpoint(port as unknown as MessagePort, OPS, {
      onViolation: () => {
        throw new Error('observer failed');
      },
    }).addEventListener('message', () => undefined);
    expect(() => port.deliver({ id: 'a', type: 'GET' })).not.toThrow();
    expect(port.posted).toEqual([violation('a')]);
  });

  it('still works with the two-argument signature', async () => {
    const port = new FakePort();
    expose(
      Object.freeze({ listKeys: () => [] }),
      guardedEndpoint(port as unknown as MessagePort, OPS),
      [''],
    );
    port.deliver({ id: 'x', type: 'EXEC' });
    port.deliver({ id: 'y', type: 'APPLY', path: ['listKeys'] });
    await tick();
    expect(port.posted).toEqual([violation('x'), { id: 'y', type: 'RAW', value: [] }]);
  });

  it('answers a synchronous throw of the listener instead of letting it escape', () => {
    const port = new FakePort();
    guardedEndpoint(port as unknown as MessagePort, OPS).addEventListener('message', () => {
      throw new Error('listener failed');
    });
    expect(() => port.deliver({ id: 'a', type: 'APPLY', path: ['listKeys'] })).not.toThrow();
    expect(port.posted).toEqual([
      {
        id: 'a',
        type: 'HANDLER',
        name: 'throw',
        value: { code: 'INTERNAL_ERROR', message: 'internal error' },
      },
    ]);
  });

  describe('RELEASE', () => {
    it('answers an exact RELEASE, then closes the port', async () => {
      const { port } = exposed();
      port.deliver({ id: 'r', type: 'RELEASE' });
      await tick();
      expect(port.log).toEqual([['post', { id: 'r', type: 'RAW', value: undefined }], ['close']]);
      expect(port.listeners.size).toBe(0);
    });

    it('refuses a RELEASE with a path and keeps the channel open', async () => {
      const { port, violations } = exposed();
      port.deliver({ id: 'r', type: 'RELEASE', path: ['constructor', 'constructor'] });
      port.deliver({ id: 's', type: 'RELEASE', path: ['sign'] });
      port.deliver({ id: 'ok', type: 'APPLY', path: ['listKeys'] });
      await tick();
      expect(port.closed).toBe(false);
      expect(port.posted).toEqual([
        violation('r'),
        violation('s'),
        { id: 'ok', type: 'RAW', value: [] },
      ]);
      expect(violations()).toBe(2);
    });

    it('close() closes the port and detaches the guard', () => {
      const { port, ep } = exposed();
      ep.close();
      expect(port.closed).toBe(true);
      expect(port.listeners.size).toBe(0);
    });
  });
});

describe('guardedEndpoint with batches (the bridge announced batch)', () => {
  const call = (id: string, op = 'listKeys') => ({ id, type: 'APPLY', path: [op] });
  const batch = (messages: unknown) => ({ type: 'strongroom:batch', messages });

  it('handles each call of a batch as if it had come alone, and answers them in one batch', async () => {
    const { port, calls } = exposed(64);
    port.deliver(
      batch([call('a'), { id: 'b', type: 'APPLY', path: ['sign'], argumentList: [raw('k')] }]),
    );
    await tick();
    expect(calls).toEqual([[], ['k']]);
    expect(port.posted).toEqual([
      batch([
        { id: 'a', type: 'RAW', value: [] },
        { id: 'b', type: 'RAW', value: 'signed' },
      ]),
    ]);
  });

  it('refuses each forbidden message of a batch on its own, a batch in a batch among them', async () => {
    const { port, calls, violations } = exposed(64);
    port.deliver(
      batch([
        { id: 'x', type: 'GET', path: ['sign'] },
        call('ok'),
        { id: 'y', type: 'APPLY', path: ['constructor'] },
        batch([call('inner')]),
      ]),
    );
    await tick();
    expect(calls).toEqual([[]]);
    expect(violations()).toBe(3);
    // The refusals are posted at once, the answer when the operation has returned.
    const answers = port.posted.flatMap((m) => (m as { messages?: unknown[] }).messages ?? [m]);
    expect(answers).toEqual([violation('x'), violation('y'), { id: 'ok', type: 'RAW', value: [] }]);
  });

  it.each([
    ['messages not an array', batch({ 0: call('a') })],
    ['no messages', batch([])],
    ['more than 64 messages', batch(Array.from({ length: 65 }, (_, i) => call(`c${i}`)))],
    [
      'messages that throw when read',
      {
        type: 'strongroom:batch',
        get messages(): never {
          throw new Error('boom');
        },
      },
    ],
  ])('refuses a batch with %s as a whole, unopened, once', async (_, message) => {
    const { port, calls, violations } = exposed(64);
    port.deliver(message);
    await tick();
    expect(calls).toEqual([]);
    expect(violations()).toBe(1);
    expect(port.posted).toEqual([]);
  });

  it('refuses a batch when the bridge did not announce batches', async () => {
    const { port, calls, violations } = exposed(null);
    port.deliver(batch([call('a'), call('b')]));
    await tick();
    expect(calls).toEqual([]);
    expect(violations()).toBe(1);
  });

  it('answers a call made alone alone, and splits answers beyond what the bridge reads', async () => {
    const { port } = exposed(2);
    port.deliver(call('alone'));
    await tick();
    port.deliver(batch([call('a'), call('b'), call('c')]));
    await tick();
    expect(port.posted).toEqual([
      { id: 'alone', type: 'RAW', value: [] },
      batch([
        { id: 'a', type: 'RAW', value: [] },
        { id: 'b', type: 'RAW', value: [] },
      ]),
      { id: 'c', type: 'RAW', value: [] },
    ]);
  });

  it('posts the answer to a RELEASE before it closes the port', async () => {
    const { port } = exposed(64);
    port.deliver(batch([call('a'), { id: 'r', type: 'RELEASE' }]));
    await tick();
    expect(port.closed).toBe(true);
    expect(port.posted).toEqual([
      batch([
        { id: 'a', type: 'RAW', value: [] },
        { id: 'r', type: 'RAW', value: undefined },
      ]),
    ]);
  });
});
