/**
 * The bridge rebuilds the enclave's errors without touching Comlink's global `transferHandlers`:
 * an app that uses Comlink itself, with its own `throw` handler, keeps it, and that handler never
 * sees an enclave's answer. The "enclave" here answers on a real MessageChannel exactly as the
 * enclave's worker does (Comlink's wire format, the enclave's `{ code, message }` errors).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expose, type Remote, transferHandlers, wrap } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAnswer, strongroomEndpoint } from './endpoint';
import { StrongroomError } from './errors';

interface Api {
  sign(id: string): Promise<string>;
}

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** A fake enclave on port2: answers each APPLY as the key worker would. */
function enclave(answer: (id: string, args: unknown[]) => object): Remote<Api> {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  port2.addEventListener('message', (event) => {
    const { id, type, argumentList } = event.data as {
      id: string;
      type: string;
      argumentList: { value: unknown }[];
    };
    if (type !== 'APPLY') return;
    port2.postMessage({
      id,
      ...answer(
        id,
        argumentList.map((a) => a.value),
      ),
    });
  });
  port2.start();
  return wrap<Api>(strongroomEndpoint(port1));
}

const thrown = (value: unknown) => ({ type: 'HANDLER', name: 'throw', value });

describe('strongroomEndpoint', () => {
  it('passes results through', async () => {
    const remote = enclave((_id, args) => ({ type: 'RAW', value: `signed ${args[0]}` }));
    await expect(remote.sign('k1')).resolves.toBe('signed k1');
  });

  it('rejects with the StrongroomError the enclave threw, code, message and retryAfterMs', async () => {
    const remote = enclave(() =>
      thrown({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1500 }),
    );
    const err = await remote.sign('k1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrongroomError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1500 });
  });

  it('turns a malformed error or an unexpected handler into INTERNAL_ERROR', async () => {
    for (const answer of [
      thrown({ code: 'NOT_A_CODE', message: 'x' }),
      thrown({ isError: true, value: { message: 'stock Comlink error', stack: 'at …' } }),
      { type: 'HANDLER', name: 'proxy', value: {} },
    ]) {
      const err = await enclave(() => answer)
        .sign('k1')
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(answer)).toBeInstanceOf(StrongroomError);
      expect((err as StrongroomError).code).toBe('INTERNAL_ERROR');
    }
  });

  it('leaves messages it does not decode untouched', () => {
    const raw = { id: '1', type: 'RAW', value: 1 };
    expect(decodeAnswer(raw)).toBe(raw);
    expect(decodeAnswer(null)).toBe(null);
  });
});

describe('an app that uses Comlink itself', () => {
  it('keeps its own throw handler, which never sees an enclave error', async () => {
    const stock = transferHandlers.get('throw');
    const before = [...transferHandlers.entries()];
    const seen: unknown[] = [];
    const appHandler = {
      canHandle: stock?.canHandle ?? (() => false),
      serialize: (value: unknown) => stock?.serialize(value) ?? [value, []],
      deserialize: (value: unknown) => {
        seen.push(value);
        throw new Error(`app: ${JSON.stringify(value)}`);
      },
    } as NonNullable<typeof stock>;
    transferHandlers.set('throw', appHandler);
    try {
      // The bridge at work: an enclave error is rebuilt as a StrongroomError…
      const remote = enclave(() => thrown({ code: 'KEY_NOT_FOUND', message: 'no such key' }));
      const err = await remote.sign('k1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StrongroomError);
      expect((err as StrongroomError).code).toBe('KEY_NOT_FOUND');
      // …without the app's handler seeing it, and without replacing it.
      expect(seen).toEqual([]);
      expect(transferHandlers.get('throw')).toBe(appHandler);

      // The app's own Comlink use still goes through its handler.
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      expose(
        {
          fail: () => {
            throw new Error('app failure');
          },
        },
        port2,
      );
      const app = wrap<{ fail(): Promise<void> }>(port1);
      const appErr = await app.fail().catch((e: unknown) => e);
      expect((appErr as Error).message).toMatch(/^app: /);
      expect(seen).toHaveLength(1);
    } finally {
      if (stock) transferHandlers.set('throw', stock);
    }
    expect([...transferHandlers.entries()]).toEqual(before);
  });

  it('finds no bridge source that reads or writes Comlink transferHandlers', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => {
        const code = readFileSync(`${dir}${f}`, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, '');
        return /\btransferHandlers\b/.test(code);
      });
    expect(offenders).toEqual([]);
  });
});

describe('strongroomEndpoint with batches (the enclave announced batch)', () => {
  /** A fake enclave on port2 that records every message it gets and answers every call. */
  function batchingEnclave(max: number) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const received: unknown[] = [];
    port2.addEventListener('message', (event) => {
      received.push(event.data);
      type Call = { id: string; type: string; messages?: Call[] };
      const data = event.data as Call;
      const calls = data.type === 'strongroom:batch' ? (data.messages ?? []) : [data];
      const answers = calls
        .filter((c) => c.type === 'APPLY')
        .map((c) => ({ id: c.id, type: 'RAW', value: `answer ${c.id.length}` }));
      if (answers.length === 1) port2.postMessage(answers[0]);
      else if (answers.length > 1)
        port2.postMessage({ type: 'strongroom:batch', messages: answers });
    });
    port2.start();
    return { remote: wrap<Api>(strongroomEndpoint(port1, max)), received };
  }

  it('sends the calls made in one task as one message, and resolves each from a batched answer', async () => {
    const { remote, received } = batchingEnclave(64);
    const results = await Promise.all(Array.from({ length: 10 }, () => remote.sign('k')));
    expect(results).toHaveLength(10);
    expect(results.every((r) => r.startsWith('answer '))).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ type: 'strongroom:batch' });
    expect((received[0] as { messages: unknown[] }).messages).toHaveLength(10);
  });

  it('sends a call made alone on its own, and splits beyond what the enclave reads', async () => {
    const { remote, received } = batchingEnclave(4);
    await remote.sign('k');
    await Promise.all(Array.from({ length: 9 }, () => remote.sign('k')));
    expect(received.map((m) => (m as { messages?: unknown[] }).messages?.length ?? 1)).toEqual([
      1, 4, 4, 1,
    ]);
  });

  it('rejects only the call that cannot be sent, with INTERNAL_ERROR, and sends the others', async () => {
    const { remote, received } = batchingEnclave(64);
    const [ok, bad] = await Promise.allSettled([
      remote.sign('k'),
      remote.sign((() => undefined) as unknown as string),
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled' });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'INTERNAL_ERROR' } });
    expect(received).toHaveLength(1);
  });
});
