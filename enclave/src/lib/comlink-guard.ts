/**
 * The hardened Comlink endpoint of the key worker.
 *
 * Comlink's `expose` walks any `path` it is sent (`__proto__`, `constructor.constructor`…) and
 * honours GET, SET, CONSTRUCT and ENDPOINT: a peer holding the port could run code in the
 * worker's realm. This endpoint sits between the port and `expose` and lets through only
 * `APPLY` whose path is exactly one operation name with plain (`RAW`) arguments, and `RELEASE`.
 * Everything else is answered here with a `PROTOCOL_VIOLATION` error and never reaches Comlink.
 */
import { type SerializedError, StrongroomError, serializeError } from '@strongroom/bridge/errors';
import type { Endpoint } from 'comlink';

type Listener = (event: MessageEvent) => void;

/** Longest accepted call id (Comlink's ids are about 70 characters). */
const MAX_ID_LENGTH = 256;

/** Why a message was refused, or `null` if it may pass. */
export function checkMessage(data: unknown, operations: ReadonlySet<string>): string | null {
  if (typeof data !== 'object' || data === null) return 'message is not an object';
  const message = data as Record<string, unknown>;
  // Every call must be answerable: an id-less message would run with no one to tell.
  if (
    typeof message.id !== 'string' ||
    message.id.length === 0 ||
    message.id.length > MAX_ID_LENGTH
  ) {
    return 'message has no valid id';
  }
  if (message.type === 'RELEASE') return null;
  if (message.type !== 'APPLY') return `message type ${String(message.type)} is not allowed`;
  const { path, argumentList } = message;
  if (!Array.isArray(path) || path.length !== 1) return 'path must name exactly one operation';
  const [name] = path;
  if (typeof name !== 'string' || !operations.has(name)) return 'unknown operation';
  if (argumentList !== undefined && !Array.isArray(argumentList)) return 'malformed arguments';
  for (const arg of argumentList ?? []) {
    // Only plain values cross: no proxies (callbacks into the app) and no foreign handlers.
    if (typeof arg !== 'object' || arg === null || (arg as { type?: unknown }).type !== 'RAW') {
      return 'arguments must be plain values';
    }
  }
  return null;
}

/** The wire form of a thrown error, as Comlink's `throw` handler would produce it. */
export function thrownReply(id: string, error: SerializedError): Record<string, unknown> {
  return { id, type: 'HANDLER', name: 'throw', value: error };
}

/**
 * Wrap a port so that only allowed calls reach the listener Comlink registers on it.
 * Refused messages that carry a string `id` get a `PROTOCOL_VIOLATION` reply; others are dropped.
 */
export function guardedEndpoint(port: MessagePort, operations: ReadonlySet<string>): Endpoint {
  const wrapped = new Map<EventListenerOrEventListenerObject, Listener>();
  return {
    postMessage(message: unknown, transfer?: Transferable[]) {
      port.postMessage(message, transfer ?? []);
    },
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const guard: Listener = (event) => {
        const reason = checkMessage(event.data, operations);
        if (reason === null) {
          if (typeof listener === 'function') listener(event);
          else listener.handleEvent(event);
          return;
        }
        const id = (event.data as { id?: unknown } | null)?.id;
        if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH) {
          port.postMessage(
            thrownReply(id, serializeError(new StrongroomError('PROTOCOL_VIOLATION', reason))),
          );
        }
      };
      wrapped.set(listener, guard);
      port.addEventListener(type, guard as EventListener);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const guard = wrapped.get(listener);
      if (guard) port.removeEventListener(type, guard as EventListener);
      wrapped.delete(listener);
    },
    start() {
      port.start();
    },
  };
}
