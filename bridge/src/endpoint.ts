/**
 * The endpoint the bridge's Comlink proxy talks through: the enclave's `MessagePort`, with every
 * answer that is not a plain value turned into a rejection here, before Comlink looks it up in
 * its global `transferHandlers` table. The bridge never reads or changes that table, so an app
 * that uses Comlink itself (with its own `throw` handler, say) keeps exactly its behaviour, and
 * whatever the app put there never sees the enclave's answers.
 *
 * How Comlink 4 answers a call: `{ id, type: 'RAW', value }` for a result, or
 * `{ id, type: 'HANDLER', name: 'throw', value }` when the operation threw, where `value` is
 * whatever the exposing side's `throw` handler serialised; the enclave's handler sends only
 * `{ code, message[, retryAfterMs] }` (enclave/src/lib/throw-handler.ts). On the calling side,
 * `wrap()` resolves its internal promise with that message and then reads `message.type` to
 * decode it (`fromWireValue`). For a thrown value this endpoint hands Comlink a message whose
 * `type` getter throws the rebuilt {@link StrongroomError}, so the call rejects with it, and
 * no handler of the global table runs.
 */
import type { Endpoint } from 'comlink';
import { BatchSender, batchedMessages } from './batch';
import { deserializeError, StrongroomError } from './errors';
import { MAX_BATCH_MESSAGES } from './protocol';

/** A message from the enclave, as far as this endpoint reads it. */
interface Answer {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly name?: unknown;
  readonly value?: unknown;
}

/** A message that makes Comlink's call promise reject with `error` when it decodes it. */
function rejection(id: unknown, error: StrongroomError): object {
  return {
    id,
    get type(): never {
      throw error;
    },
  };
}

/**
 * What Comlink gets for one message from the enclave: plain results (`RAW`) as they are, a thrown
 * value as a rejection with the rebuilt {@link StrongroomError}, and anything else (a handler
 * the enclave never uses) as an `INTERNAL_ERROR` rejection.
 */
export function decodeAnswer(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const { id, type, name, value } = data as Answer;
  if (type !== 'HANDLER') return data;
  if (name === 'throw') return rejection(id, deserializeError(value));
  return rejection(
    id,
    new StrongroomError('INTERNAL_ERROR', 'the enclave answered with an unexpected value'),
  );
}

type Listener = EventListenerOrEventListenerObject;

/** The call id of a message Comlink sent, if it has one. */
function idOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null
    ? (message as { id?: unknown }).id
    : undefined;
}

/**
 * Wrap the enclave's port for Comlink's `wrap()`. Messages the bridge sends go out unchanged,
 * or — when the enclave announced `batch` (the most calls it reads in one message) — the calls
 * made in one task go out as one batch (`batch.ts`); answers that come batched are handed to
 * Comlink one by one. A call that cannot be posted is answered here with `INTERNAL_ERROR`, as
 * when `postMessage` throws in Comlink.
 *
 * @example
 * ```ts
 * const remote = wrap<EnclaveApi>(strongroomEndpoint(port));
 * ```
 */
export function strongroomEndpoint(port: MessagePort, batch: number | null = null): Endpoint {
  const wrapped = new Map<Listener, EventListener>();
  const deliver = (listener: Listener, event: Event) => {
    if (typeof listener === 'function') listener(event);
    else listener.handleEvent(event);
  };
  const sender =
    batch === null
      ? null
      : new BatchSender(
          {
            post: (message, transfer) => port.postMessage(message, transfer),
            failed: (message, error) => {
              const answer = rejection(
                idOf(message),
                new StrongroomError('INTERNAL_ERROR', 'the call could not be sent', {
                  cause: error,
                }),
              );
              for (const listener of wrapped.keys()) {
                deliver(listener, { data: answer } as MessageEvent);
              }
            },
          },
          batch,
        );
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => {
      if (!sender) {
        port.postMessage(message, transfer ?? []);
        return;
      }
      // Only calls wait for their task's batch; a RELEASE (before the port closes) goes now,
      // after what was queued.
      if ((message as { type?: unknown }).type === 'APPLY') {
        sender.send(message, transfer ?? []);
        return;
      }
      sender.flush();
      port.postMessage(message, transfer ?? []);
    },
    addEventListener: (type: string, listener: Listener, options?: object) => {
      const decoded: EventListener = (event) => {
        const data = (event as MessageEvent).data;
        const batched = batchedMessages(data, MAX_BATCH_MESSAGES);
        for (const one of batched ?? [data]) {
          const answer = decodeAnswer(one);
          const seen = answer === data ? event : ({ data: answer } as MessageEvent);
          deliver(listener, seen);
        }
      };
      wrapped.set(listener, decoded);
      port.addEventListener(type, decoded, options);
    },
    removeEventListener: (type: string, listener: Listener, options?: object) => {
      const decoded = wrapped.get(listener);
      if (!decoded) return;
      wrapped.delete(listener);
      port.removeEventListener(type, decoded, options);
    },
    start: () => port.start(),
  };
}
