/**
 * The app side of the handshake: wait for the enclave's `ready` from the iframe we created,
 * answer once with a `MessagePort` and a nonce to the exact enclave origin, and wait for the
 * key worker's `accepted` (echoing the nonce) on that port.
 *
 * A protocol mismatch is answered at once by either side: a `ready` of another protocol version
 * rejects here, and an enclave that receives a `connect` of another version answers `refused`
 * with `protocol-mismatch` (enclave/src/main.ts). Both give `PROTOCOL_MISMATCH`.
 */
import { announcedBatch } from './batch';
import { StrongroomError } from './errors';
import { abortError } from './lifecycle';
import {
  type AcceptedMessage,
  type ConnectMessage,
  MAX_BATCH_MESSAGES,
  PROTOCOL_VERSION,
  type RefusalReason,
} from './protocol';

/** Every {@link RefusalReason}, to recognise one at run time. */
const REFUSAL_REASONS = [
  'framed-twice',
  'not-framed',
  'worker-failed',
  'integrity-failed',
  'protocol-mismatch',
] as const satisfies readonly RefusalReason[];

// Compile-time check that REFUSAL_REASONS lists every RefusalReason.
type MissingReasons = Exclude<RefusalReason, (typeof REFUSAL_REASONS)[number]>;
const everyReasonListed: MissingReasons extends never ? true : false = true;
void everyReasonListed;

/**
 * Why an enclave refused to start: `framed-twice` (the app page is itself framed),
 * `not-framed`, `worker-failed` (its key worker failed to load or its integrity check),
 * `integrity-failed` (a pinned stylesheet was refused), `protocol-mismatch` (reported as
 * `PROTOCOL_MISMATCH` instead), or `unknown` (a reason this bridge does not know).
 */
export type EnclaveRefusalReason =
  | 'framed-twice'
  | 'not-framed'
  | 'worker-failed'
  | 'integrity-failed'
  | 'protocol-mismatch'
  | 'unknown';

// Compile-time check that the public union is exactly the wire's reasons plus 'unknown'.
type SameReasons = [Exclude<EnclaveRefusalReason, 'unknown'>] extends [RefusalReason]
  ? [RefusalReason] extends [Exclude<EnclaveRefusalReason, 'unknown'>]
    ? true
    : false
  : false;
const sameReasons: SameReasons = true;
void sameReasons;

/**
 * `ENCLAVE_UNAVAILABLE` because the enclave refused to start; {@link reason} says why, as a
 * typed value (the message says it too).
 *
 * @example
 * ```ts
 * try {
 *   await connect({ url });
 * } catch (err) {
 *   if (err instanceof EnclaveRefusedError && err.reason === 'framed-twice') {
 *     // this app page is itself framed: the enclave only runs directly under the top page
 *   }
 * }
 * ```
 */
export class EnclaveRefusedError extends StrongroomError<'ENCLAVE_UNAVAILABLE'> {
  /**
   * Why the enclave refused to start; `'unknown'` for a reason this bridge does not know (an
   * enclave of a later release).
   */
  readonly reason: EnclaveRefusalReason;

  constructor(reason: EnclaveRefusalReason, message: string) {
    super('ENCLAVE_UNAVAILABLE', message);
    this.reason = reason;
  }
}

/** The refusal reason of an untrusted message, as a known value. */
function refusalReason(value: unknown): EnclaveRefusalReason {
  return (REFUSAL_REASONS as readonly unknown[]).includes(value)
    ? (value as EnclaveRefusalReason)
    : 'unknown';
}

/** A protocol number from the other side, for a message (never trusted to be a number). */
function shown(value: unknown): string {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : 'unknown';
}

function protocolMismatch(enclaveProtocol: unknown): StrongroomError {
  return new StrongroomError(
    'PROTOCOL_MISMATCH',
    `the enclave speaks protocol ${shown(enclaveProtocol)} and this bridge protocol ` +
      `${PROTOCOL_VERSION}: use a bridge release that matches the enclave (docs/compatibility.md)`,
  );
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** What a completed handshake gives. */
export interface Connected {
  /** The channel's port. */
  readonly port: MessagePort;
  /** The most calls the enclave reads in one batch (it announced `batch`), or `null`. */
  readonly batch: number | null;
}

/**
 * Run the handshake with `iframe` (already inserted, loading `enclaveOrigin`). Resolves with
 * the connected port (and whether calls may be batched); rejects with `HANDSHAKE_TIMEOUT` after `timeoutMs`,
 * {@link EnclaveRefusedError} (`ENCLAVE_UNAVAILABLE`) if the enclave says it refuses to start,
 * `PROTOCOL_MISMATCH` if the enclave speaks another protocol version, and `ABORTED` when
 * `signal` aborts. The caller removes the iframe when it rejects.
 */
export function handshake(
  iframe: HTMLIFrameElement,
  enclaveOrigin: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Connected> {
  return new Promise<Connected>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, 'connect()'));
      return;
    }
    const nonce = randomNonce();
    const channel = new MessageChannel();
    let answered = false;

    const cleanup = () => {
      clearTimeout(timer);
      window.removeEventListener('message', onWindowMessage);
      signal?.removeEventListener('abort', onAbort);
      channel.port1.onmessage = null;
    };
    const fail = (err: StrongroomError) => {
      cleanup();
      channel.port1.close();
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(
        new StrongroomError(
          'HANDSHAKE_TIMEOUT',
          `the enclave at ${enclaveOrigin} did not complete the handshake within ${timeoutMs} ms ` +
            '(is this origin in its allowlist, and is it served with its headers?)',
        ),
      );
    }, timeoutMs);
    function onAbort(): void {
      if (signal) fail(abortError(signal, 'connect()'));
    }

    function onWindowMessage(event: MessageEvent): void {
      // Only the iframe we created, from the exact enclave origin, is listened to.
      if (event.source !== iframe.contentWindow || event.origin !== enclaveOrigin) return;
      const data: unknown = event.data;
      if (!isRecord(data)) return;
      if (data.type === 'strongroom:refused') {
        // Whatever its protocol version: a refusal is the enclave's last word.
        const reason = refusalReason(data.reason);
        if (reason === 'protocol-mismatch') {
          fail(protocolMismatch(data.protocol));
          return;
        }
        const said = typeof data.reason === 'string' ? data.reason.slice(0, 64) : 'unknown';
        fail(new EnclaveRefusedError(reason, `the enclave refused to start: ${said}`));
        return;
      }
      if (data.type !== 'strongroom:ready' || answered) return;
      if (data.protocol !== PROTOCOL_VERSION) {
        fail(protocolMismatch(data.protocol));
        return;
      }
      answered = true;
      const connect: ConnectMessage = {
        type: 'strongroom:connect',
        protocol: PROTOCOL_VERSION,
        nonce,
        batch: MAX_BATCH_MESSAGES,
      };
      iframe.contentWindow?.postMessage(connect, enclaveOrigin, [channel.port2]);
    }

    channel.port1.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (!isRecord(data)) return;
      const accepted = data as Partial<AcceptedMessage>;
      if (accepted.type !== 'strongroom:accepted' || accepted.nonce !== nonce) return;
      cleanup();
      resolve({ port: channel.port1, batch: announcedBatch(accepted.batch) });
    };
    window.addEventListener('message', onWindowMessage);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
