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
import { deserializeError, StrongroomError } from './errors';

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

/**
 * Wrap the enclave's port for Comlink's `wrap()`. Messages the bridge sends go out unchanged.
 *
 * @example
 * ```ts
 * const remote = wrap<EnclaveApi>(strongroomEndpoint(port));
 * ```
 */
export function strongroomEndpoint(port: MessagePort): Endpoint {
  const wrapped = new Map<Listener, EventListener>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      port.postMessage(message, transfer ?? []),
    addEventListener: (type: string, listener: Listener, options?: object) => {
      const decoded: EventListener = (event) => {
        const data = (event as MessageEvent).data;
        const answer = decodeAnswer(data);
        const seen = answer === data ? event : ({ data: answer } as MessageEvent);
        if (typeof listener === 'function') listener(seen);
        else listener.handleEvent(seen);
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
