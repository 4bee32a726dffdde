/**
 * The persistence request's states (`persistence.ts`): each answer of `storage.persist()` maps
 * to its state, a request nobody answers reports `timeout` and then the late answer, and the
 * worker's report waits only a short bound for the first answer. The storage objects are plain
 * stand-ins with a `persist` method: what the browsers actually answer is measured by
 * e2e/persistence.spec.ts and e2e/webkit/persistence.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isPersistNotice, PersistenceReport, requestPersistence } from './persistence';

function storageAnswering(answer: () => Promise<boolean>): StorageManager {
  return { persist: answer } as unknown as StorageManager;
}

function collect(): { results: string[]; push: (r: string) => void } {
  const results: string[] = [];
  return { results, push: (r) => results.push(r) };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('requestPersistence', () => {
  it('reports granted and denied as persist() answers', async () => {
    const granted = collect();
    requestPersistence(
      storageAnswering(async () => true),
      granted.push,
      1_000,
    );
    const denied = collect();
    requestPersistence(
      storageAnswering(async () => false),
      denied.push,
      1_000,
    );
    await tick(20);
    expect(granted.results).toEqual(['granted']);
    expect(denied.results).toEqual(['denied']);
  });

  it('reports unavailable without persist(), when it throws and when it rejects', async () => {
    const missing = collect();
    requestPersistence(undefined, missing.push);
    requestPersistence({} as StorageManager, missing.push);
    const throwing = collect();
    requestPersistence(
      storageAnswering(() => {
        throw new TypeError('not here');
      }),
      throwing.push,
      1_000,
    );
    const rejecting = collect();
    requestPersistence(
      storageAnswering(() => Promise.reject(new DOMException('no', 'NotAllowedError'))),
      rejecting.push,
      1_000,
    );
    await tick(20);
    expect(missing.results).toEqual(['unavailable', 'unavailable']);
    expect(throwing.results).toEqual(['unavailable']);
    expect(rejecting.results).toEqual(['unavailable']);
  });

  it('reports timeout when nobody answers, then the late answer', async () => {
    let answer: (granted: boolean) => void = () => undefined;
    const late = collect();
    requestPersistence(
      storageAnswering(
        () =>
          new Promise<boolean>((resolve) => {
            answer = resolve;
          }),
      ),
      late.push,
      30,
    );
    await tick(60);
    expect(late.results).toEqual(['timeout']);
    answer(true);
    await tick(10);
    expect(late.results).toEqual(['timeout', 'granted']);
  });
});

describe('PersistenceReport', () => {
  it('answers pending after the bound when nothing came, the latest answer after', async () => {
    const report = new PersistenceReport();
    const started = Date.now();
    expect(await report.read(40)).toBe('pending');
    expect(Date.now() - started).toBeLessThan(1_000);
    report.update('timeout');
    expect(await report.read(40)).toBe('timeout');
    report.update('denied');
    expect(await report.read(40)).toBe('denied');
  });

  it('wakes a waiting read when the first answer arrives', async () => {
    const report = new PersistenceReport();
    const reading = report.read(5_000);
    setTimeout(() => report.update('granted'), 20);
    const started = Date.now();
    expect(await reading).toBe('granted');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('takes only well-formed notices from the worker scope', () => {
    const listeners: ((event: MessageEvent) => void)[] = [];
    const report = new PersistenceReport();
    report.listen({ addEventListener: (_type, l) => listeners.push(l) });
    const send = (data: unknown) => {
      for (const l of listeners) l({ data } as MessageEvent);
    };
    send({ type: 'strongroom:persist', result: 'granted!' });
    send({ type: 'strongroom:persist', result: 'pending' });
    expect(isPersistNotice({ type: 'strongroom:persist', result: 'denied' })).toBe(true);
    send({ type: 'strongroom:persist', result: 'denied' });
    return expect(report.read(1)).resolves.toBe('denied');
  });
});
