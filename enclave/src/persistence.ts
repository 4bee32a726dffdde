/**
 * Persistent storage (issue 14 §8; docs/deployment.md, "Persistent storage"). The enclave
 * document asks `navigator.storage.persist()` once per load — a worker may not ask, the method
 * is exposed to windows only — and tells each key worker it starts how that ended, now and
 * again if a late answer arrives. Nothing waits for it: the handshake goes on at once, the
 * request is bounded by {@link PERSIST_TIMEOUT_MS} (a permission prompt nobody answers would
 * otherwise never settle: headless Firefox), and `info()` waits at most
 * {@link PERSIST_INFO_WAIT_MS} for the first answer before it reports `pending`.
 */
import {
  PERSIST_INFO_WAIT_MS,
  PERSIST_TIMEOUT_MS,
  type PersistRequest,
} from '@strongroom/bridge/protocol';

/** What the enclave document posts to its key worker about the persistence request. */
export interface PersistNotice {
  readonly type: 'strongroom:persist';
  readonly result: Exclude<PersistRequest, 'pending'>;
}

/** Whether `data` is a {@link PersistNotice}. */
export function isPersistNotice(data: unknown): data is PersistNotice {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return (
    m.type === 'strongroom:persist' &&
    (m.result === 'granted' ||
      m.result === 'denied' ||
      m.result === 'unavailable' ||
      m.result === 'timeout')
  );
}

/**
 * Document side: call `storage.persist()` once and report each state it reaches through
 * `onResult` — `unavailable` at once where there is no `persist`, `timeout` after
 * `timeoutMs` without an answer, then `granted` or `denied` whenever the answer comes.
 *
 * @param storage - `navigator.storage` of the enclave document (may be missing).
 */
export function requestPersistence(
  storage: StorageManager | undefined,
  onResult: (result: PersistNotice['result']) => void,
  timeoutMs = PERSIST_TIMEOUT_MS,
): void {
  if (!storage || typeof storage.persist !== 'function') {
    onResult('unavailable');
    return;
  }
  let answered = false;
  const timer = setTimeout(() => {
    if (!answered) onResult('timeout');
  }, timeoutMs);
  let asked: Promise<boolean>;
  try {
    asked = storage.persist();
  } catch {
    clearTimeout(timer);
    onResult('unavailable');
    return;
  }
  asked.then(
    (granted) => {
      answered = true;
      clearTimeout(timer);
      onResult(granted ? 'granted' : 'denied');
    },
    () => {
      answered = true;
      clearTimeout(timer);
      onResult('unavailable');
    },
  );
}

/** Worker side: the latest answer the enclave document sent, read by `info()`. */
export class PersistenceReport {
  #latest: PersistNotice['result'] | null = null;
  readonly #waiting = new Set<() => void>();

  /** Listen for {@link PersistNotice}s on the worker's global scope. */
  listen(scope: {
    addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  }): void {
    scope.addEventListener('message', (event) => {
      if (isPersistNotice(event.data)) this.update(event.data.result);
    });
  }

  /** Record an answer. */
  update(result: PersistNotice['result']): void {
    this.#latest = result;
    for (const wake of this.#waiting) wake();
    this.#waiting.clear();
  }

  /** The latest answer, waiting at most `waitMs` for the first one; `pending` if none came. */
  async read(waitMs = PERSIST_INFO_WAIT_MS): Promise<PersistRequest> {
    if (this.#latest === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiting.delete(wake);
          resolve();
        }, waitMs);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#waiting.add(wake);
      });
    }
    return this.#latest ?? 'pending';
  }
}
