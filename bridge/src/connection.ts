/**
 * The connection behind an {@link Enclave}: the current channel (a {@link Link}), the calls in
 * flight, their timeouts and abort signals, the connection's state and events, the liveness
 * check, and reconnection. The `Enclave` is a thin typed face over it.
 *
 * Every call settles exactly once: with the enclave's answer, or with `CALL_TIMEOUT`, `ABORTED`,
 * `ENCLAVE_DISCONNECTED` (the channel ended, or `reconnect()` replaced it) or
 * `ENCLAVE_UNAVAILABLE` (`dispose()`), whichever comes first. An answer that arrives after that
 * is dropped. Nothing is cancelled in the enclave: an operation that was sent may still complete
 * there.
 */
import { type Remote, releaseProxy, transfer, wrap } from 'comlink';
import { strongroomEndpoint } from './endpoint';
import { StrongroomError } from './errors';
import { EnclaveRefusedError } from './handshake';
import {
  abortError,
  backoffDelay,
  type CallOptions,
  type ConnectionState,
  consentPhase,
  type DisconnectDetail,
  type DisconnectReason,
  type Link,
  MAX_TIMER_MS,
  PROBE_TIMEOUT_MS,
  type ReconnectPolicy,
  resolveCallOptions,
  type StateChangeDetail,
} from './lifecycle';
import type { EnclaveApi, EnclaveInfo, OperationName } from './protocol';

/** What a {@link Connection} needs from `connect()`. */
export interface ConnectionConfig {
  /** Create a fresh frame and run the handshake (the options of `connect()`). */
  open(signal: AbortSignal): Promise<Link>;
  /**
   * Check a new channel before it is used (`expectDigest`); `info` calls the enclave on that
   * channel. Rejects to refuse the channel.
   */
  verify?(info: (options: CallOptions) => Promise<EnclaveInfo>): Promise<void>;
  /** Default timeout of a call, ms (`Infinity`: none). */
  readonly callTimeoutMs: number;
  /** Quiet time of a pending call before the liveness check, ms (`Infinity`: never). */
  readonly livenessMs: number;
  /** Automatic reconnection, or `null`. */
  readonly reconnect: ReconnectPolicy | null;
  /** Source of randomness for the backoff (tests). */
  readonly random?: () => number;
}

/**
 * Quiet time before the liveness check while a consent dialog is open: the enclave's default
 * `consentTimeoutMs`. The dialog's own `close` usually comes first.
 */
const CONSENT_QUIET_MS = 60_000;

/** One call in flight. `fail` is idempotent: the first outcome wins. */
interface Pending {
  fail(err: StrongroomError): void;
}

const DISCONNECT_MESSAGES: { readonly [R in DisconnectReason]: string } = {
  'frame-reloaded': "the enclave's frame loaded a new document",
  'frame-moved': "the enclave's frame was moved in the document, which reloads it",
  'frame-removed': "the enclave's frame was removed from the document",
  unresponsive: 'the enclave stopped answering (its end of the channel is closed)',
};

function disposedError(): StrongroomError {
  return new StrongroomError('ENCLAVE_UNAVAILABLE', 'the enclave was disposed');
}

function disconnectedError(message: string): StrongroomError {
  return new StrongroomError(
    'ENCLAVE_DISCONNECTED',
    `${message}; call reconnect() to connect again`,
  );
}

/** Whether an automatic reconnection should try again after `err`. */
export function retryable(err: unknown): boolean {
  if (!(err instanceof StrongroomError)) return true;
  switch (err.code) {
    case 'PROTOCOL_MISMATCH':
    case 'DIGEST_MISMATCH':
    case 'INVALID_ARGUMENT':
    case 'ABORTED':
      return false;
    case 'ENCLAVE_UNAVAILABLE':
      // A refusal repeats itself, except a worker that failed to load (the network, say).
      return !(err instanceof EnclaveRefusedError) || err.reason === 'worker-failed';
    default:
      return true;
  }
}

function asStrongroomError(err: unknown, fallback: string): StrongroomError {
  return err instanceof StrongroomError
    ? err
    : new StrongroomError('INTERNAL_ERROR', fallback, { cause: err });
}

/** Abort `controller` when `signal` aborts; returns the function that stops following it. */
function follow(controller: AbortController, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => undefined;
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** @internal The connection behind an `Enclave`. */
export class Connection {
  readonly #config: ConnectionConfig;
  readonly #target: EventTarget;
  readonly #pending = new Set<Pending>();
  #state: ConnectionState = 'connected';
  #link: Link;
  #remote: Remote<EnclaveApi>;
  /** Whether the current link has ended (it stays `#link` until a new one replaces it). */
  #linkEnded = false;

  // Liveness: when the enclave last said anything, since when calls are pending.
  #lastHeard = 0;
  #busySince = 0;
  #watchdog: ReturnType<typeof setTimeout> | null = null;
  #probing = false;
  #consentOpen = false;

  // Reconnection.
  #reconnecting: Promise<void> | null = null;
  /** Aborts the handshake of the attempt under way (on `dispose()`). */
  #attempt: AbortController | null = null;
  /** Ends the backoff delay of the automatic reconnection early. */
  #wake: (() => void) | null = null;

  /**
   * @param link - the channel of a completed handshake.
   * @param target - where `statechange`, `disconnect` and `consent` events are dispatched.
   */
  constructor(link: Link, config: ConnectionConfig, target: EventTarget) {
    this.#config = config;
    this.#target = target;
    this.#link = link;
    this.#remote = this.#install(link);
    target.addEventListener('consent', (event) => {
      const phase = consentPhase(event);
      if (phase === null) return;
      // A dialog is the enclave talking: the channel is alive while it is open.
      this.#consentOpen = phase === 'open';
      this.#lastHeard = Date.now();
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The state as it is now (not as narrowed before an `await` or a dispatched event). */
  #stateNow(): ConnectionState {
    return this.#state;
  }

  /** The current (or last) frame. */
  get iframe(): HTMLIFrameElement {
    return this.#link.iframe;
  }

  /** Call `name` with `args`; `options` are the caller's {@link CallOptions}. */
  call<T>(
    name: OperationName,
    args: unknown[],
    options?: CallOptions,
    transfers: Transferable[] = [],
  ): Promise<T> {
    let timeoutMs: number;
    let signal: AbortSignal | undefined;
    try {
      ({ timeoutMs, signal } = resolveCallOptions(options, this.#config.callTimeoutMs));
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#state === 'disposed') return Promise.reject(disposedError());
    if (this.#state !== 'connected') {
      return Promise.reject(
        disconnectedError(
          this.#state === 'reconnecting'
            ? 'the enclave is reconnecting; calls are not queued'
            : 'the connection to the enclave ended',
        ),
      );
    }
    return this.#send<T>(this.#remote, name, args, timeoutMs, signal, transfers);
  }

  /** Send one call on `remote`, tracked in `#pending`, with its timeout and signal. */
  #send<T>(
    remote: Remote<EnclaveApi>,
    name: OperationName,
    args: unknown[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    transfers: Transferable[],
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal, `${name}()`));
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): boolean => {
        if (!this.#pending.delete(entry)) return false;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#idle();
        return true;
      };
      const entry: Pending = {
        fail: (err) => {
          if (done()) reject(err);
        },
      };
      const onAbort = () => {
        if (signal) entry.fail(abortError(signal, `${name}()`));
      };
      this.#pending.add(entry);
      this.#busy();
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () =>
            entry.fail(
              new StrongroomError(
                'CALL_TIMEOUT',
                `${name}() got no answer within ${timeoutMs} ms (it may still complete in the enclave)`,
              ),
            ),
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const fn = remote[name] as unknown as (...a: unknown[]) => Promise<T>;
      // Comlink sends a value's transfer list with the whole message; attach it to the first
      // object argument (a WeakMap key), since the first argument may be a key id string.
      const at = args.findIndex((a) => typeof a === 'object' && a !== null);
      const argList =
        transfers.length > 0 && at >= 0
          ? args.map((a, i) => (i === at ? transfer(a, transfers) : a))
          : args;
      let sent: Promise<T>;
      try {
        sent = fn(...argList);
      } catch (err) {
        entry.fail(asStrongroomError(err, 'the call could not be sent'));
        return;
      }
      sent.then(
        (value) => {
          if (done()) resolve(value);
        },
        (err: unknown) => entry.fail(asStrongroomError(err, 'the call failed')),
      );
    });
  }

  /** Wrap `link` for calls and start watching it. */
  #install(link: Link): Remote<EnclaveApi> {
    this.#link = link;
    this.#linkEnded = false;
    this.#consentOpen = false;
    this.#lastHeard = Date.now();
    const remote = wrap<EnclaveApi>(strongroomEndpoint(link.port, link.batch));
    link.port.addEventListener('message', () => {
      if (this.#link === link) this.#lastHeard = Date.now();
    });
    link.watch(this.#target, (reason) => this.#lost(link, reason));
    return remote;
  }

  #setState(state: ConnectionState, error?: StrongroomError): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    const detail: StateChangeDetail =
      error === undefined ? { state, previous } : { state, previous, error };
    this.#target.dispatchEvent(new CustomEvent<StateChangeDetail>('statechange', { detail }));
  }

  #rejectAll(err: StrongroomError): void {
    for (const entry of [...this.#pending]) entry.fail(err);
    this.#idle();
  }

  /** End the current link: close it and reject what it carried. */
  #endLink(err: StrongroomError): void {
    this.#linkEnded = true;
    this.#link.close();
    this.#rejectAll(err);
  }

  /** `link` ended by itself. */
  #lost(link: Link, reason: DisconnectReason): void {
    if (link !== this.#link || this.#linkEnded || this.#state === 'disposed') return;
    const error = disconnectedError(DISCONNECT_MESSAGES[reason]);
    this.#endLink(error);
    // A channel lost while a reconnect attempt verifies it only fails that attempt.
    if (this.#state !== 'connected') return;
    const willReconnect = this.#config.reconnect !== null;
    this.#setState('disconnected', error);
    const detail: DisconnectDetail = { reason, error, willReconnect };
    this.#target.dispatchEvent(new CustomEvent<DisconnectDetail>('disconnect', { detail }));
    // A listener may have called reconnect() or dispose() meanwhile.
    if (willReconnect && this.#stateNow() === 'disconnected') this.#autoReconnect();
  }

  // ---- liveness -------------------------------------------------------------------------

  /** A call was added. */
  #busy(): void {
    if (this.#watchdog !== null || !Number.isFinite(this.#config.livenessMs)) return;
    this.#busySince = Date.now();
    this.#arm();
  }

  /** Maybe no call is left. */
  #idle(): void {
    if (this.#pending.size > 0 || this.#watchdog === null) return;
    clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }

  #arm(): void {
    const every = Math.max(50, Math.min(this.#config.livenessMs / 4, 1000));
    this.#watchdog = setTimeout(() => this.#check(), every);
  }

  #check(): void {
    this.#watchdog = null;
    if (this.#pending.size === 0 || this.#state === 'disposed') return;
    const quiet = Date.now() - Math.max(this.#lastHeard, this.#busySince);
    // While a consent dialog is open the enclave is talking to the person: check far less often
    // (a frame that ended meanwhile is noticed by its own events first).
    const threshold = this.#consentOpen
      ? Math.max(this.#config.livenessMs, CONSENT_QUIET_MS)
      : this.#config.livenessMs;
    if (!this.#probing && !this.#linkEnded && quiet >= threshold) void this.#probe();
    this.#arm();
  }

  /** Ask `info()` on the current link; no answer within the probe timeout ends the link. */
  async #probe(): Promise<void> {
    const link = this.#link;
    const probeMs = Math.min(this.#config.livenessMs, PROBE_TIMEOUT_MS);
    this.#probing = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = await Promise.race([
      this.#remote.info().then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), probeMs);
      }),
    ]);
    clearTimeout(timer);
    this.#probing = false;
    // Anything heard meanwhile (a consent dialog opening, another answer) also counts.
    const heard = Date.now() - this.#lastHeard < probeMs;
    if (!answered && !heard && link === this.#link) {
      this.#lost(link, 'unresponsive');
    }
  }

  // ---- reconnection ---------------------------------------------------------------------

  /**
   * Connect again with a fresh frame and handshake. While connected, the current channel is
   * closed first and its pending calls rejected (`ENCLAVE_DISCONNECTED`); while a reconnection
   * is under way, this joins it (and ends its backoff delay).
   */
  reconnect(signal?: AbortSignal): Promise<void> {
    if (this.#state === 'disposed') return Promise.reject(disposedError());
    if (signal?.aborted) return Promise.reject(abortError(signal, 'reconnect()'));
    if (this.#reconnecting) {
      this.#wake?.();
      return this.#joined(this.#reconnecting, signal);
    }
    if (this.#state === 'connected') {
      this.#endLink(disconnectedError('reconnect() replaced the connection'));
    }
    this.#setState('reconnecting');
    const run = (async () => {
      try {
        await this.#connectOnce(signal);
      } catch (err) {
        const error = asStrongroomError(err, 'the reconnection failed');
        if (this.#state === 'reconnecting') this.#setState('disconnected', error);
        throw error;
      }
    })();
    return this.#track(run);
  }

  /** Keep `run` as the reconnection under way until it settles. */
  #track(run: Promise<void>): Promise<void> {
    this.#reconnecting = run;
    const clear = () => {
      if (this.#reconnecting === run) this.#reconnecting = null;
    };
    run.then(clear, clear);
    return run;
  }

  /** `run`, or `ABORTED` as soon as `signal` aborts (`run` goes on). */
  #joined(run: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return run;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal, 'reconnect()'));
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** Automatic reconnection, after a lost channel: attempts with backoff. */
  #autoReconnect(): void {
    const policy = this.#config.reconnect;
    if (!policy) return;
    this.#setState('reconnecting');
    const run = (async () => {
      let last: StrongroomError = disconnectedError('the connection to the enclave ended');
      for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
        await this.#pause(backoffDelay(attempt, policy, this.#config.random));
        if (this.#state === 'disposed') throw disposedError();
        try {
          await this.#connectOnce(undefined);
          return;
        } catch (err) {
          last = asStrongroomError(err, 'the reconnection failed');
          if (this.#stateNow() === 'disposed') throw disposedError();
          if (!retryable(err)) break;
        }
      }
      this.#setState('disconnected', last);
      throw last;
    })();
    // Nobody awaits an automatic reconnection: its outcome is the state and its events.
    this.#track(run).catch(() => undefined);
  }

  /** Wait `ms`, or less if `reconnect()` or `dispose()` wakes it. */
  #pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = () => {
        clearTimeout(timer);
        if (this.#wake === wake) this.#wake = null;
        resolve();
      };
      timer = setTimeout(wake, ms);
      this.#wake = wake;
    });
  }

  /** One attempt: a fresh frame and handshake, the `verify` check, then `connected`. */
  async #connectOnce(signal: AbortSignal | undefined): Promise<void> {
    const controller = new AbortController();
    const unfollow = follow(controller, signal);
    this.#attempt = controller;
    try {
      const link = await this.#config.open(controller.signal);
      if (this.#state === 'disposed') {
        link.close();
        throw disposedError();
      }
      this.#remote = this.#install(link);
      if (this.#config.verify) {
        const remote = this.#remote;
        try {
          await this.#config.verify((options) => {
            const { timeoutMs } = resolveCallOptions(options, this.#config.callTimeoutMs);
            const combined = new AbortController();
            const stop = follow(combined, options?.signal);
            const stopAttempt = follow(combined, controller.signal);
            return this.#send<EnclaveInfo>(
              remote,
              'info',
              [],
              timeoutMs,
              combined.signal,
              [],
            ).finally(() => {
              stop();
              stopAttempt();
            });
          });
        } catch (err) {
          if (this.#link === link && !this.#linkEnded) {
            this.#endLink(asStrongroomError(err, 'the enclave was refused'));
          }
          throw err;
        }
      }
      if (this.#linkEnded || this.#link !== link) {
        throw disconnectedError('the new connection ended at once');
      }
      if (this.#stateNow() === 'disposed') throw disposedError();
      this.#setState('connected');
    } finally {
      unfollow();
      if (this.#attempt === controller) this.#attempt = null;
    }
  }

  // ---- disposal -------------------------------------------------------------------------

  /** Close the channel, remove the frame, reject every pending call; for ever. */
  dispose(): void {
    const previous = this.#state;
    if (previous === 'disposed') return;
    this.#state = 'disposed';
    this.#rejectAll(disposedError());
    this.#attempt?.abort(disposedError());
    this.#wake?.();
    if (!this.#linkEnded) {
      try {
        this.#remote[releaseProxy]();
      } catch {
        // Already released.
      }
    }
    this.#linkEnded = true;
    this.#link.close();
    const detail: StateChangeDetail = { state: 'disposed', previous };
    this.#target.dispatchEvent(new CustomEvent<StateChangeDetail>('statechange', { detail }));
  }
}
