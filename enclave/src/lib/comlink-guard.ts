/**
 * The hardened Comlink endpoint of the key worker.
 *
 * Comlink's `expose` walks any `path` it is sent (`__proto__`, `constructor.constructor`…) and
 * honours GET, SET, CONSTRUCT and ENDPOINT: a peer holding the port could run code in the
 * worker's realm. This endpoint sits between the port and `expose` and lets through only
 * `APPLY` whose path is exactly one operation name with at most that operation's number of
 * plain (`RAW`) arguments, and `RELEASE` in the exact form Comlink sends it. Everything else is
 * answered here with a `PROTOCOL_VIOLATION` error and never reaches Comlink.
 *
 * Once the bridge announced `batch` in the handshake, a `strongroom:batch` message of at most
 * `MAX_BATCH_MESSAGES` messages is unpacked here and each of its messages is checked and handled
 * exactly as if it had come alone (a batch in a batch is one of them, and refused); a malformed
 * or oversized batch is refused as a whole, unopened. Answers ready in one task leave as one
 * batch (`@strongroom/bridge/batch`). Without the announcement a batch is refused like any other
 * unknown message.
 *
 * The guard cannot be knocked over by what it checks: it never coerces an untrusted value to a
 * string, and any exception while checking a message is itself a refusal, so nothing the peer
 * sends can throw out of the port listener (an uncaught error would end the worker's usefulness
 * and surface in the enclave document).
 */
import { BatchSender, batchedMessages } from '@strongroom/bridge/batch';
import { type SerializedError, StrongroomError, serializeError } from '@strongroom/bridge/errors';
import {
  MAX_BATCH_MESSAGES,
  OPERATION_MAX_ARGS,
  type OperationName,
} from '@strongroom/bridge/protocol';
import type { Endpoint } from 'comlink';

type Listener = (event: MessageEvent) => void;

/** Longest accepted call id (Comlink's ids are about 70 characters). */
const MAX_ID_LENGTH = 256;

/** The members of a `RELEASE` as Comlink 4 sends it: `{ id, type }` (a `path` only if empty). */
const RELEASE_MEMBERS: ReadonlySet<string> = new Set(['id', 'type', 'path']);

/** The reason given when checking a message threw. */
const UNCHECKABLE = 'message could not be checked';

/** The message's call id if it is a usable one, else `null`. Never throws. */
function callId(data: unknown): string | null {
  try {
    if (typeof data !== 'object' || data === null) return null;
    const id: unknown = (data as { id?: unknown }).id;
    return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH ? id : null;
  } catch {
    return null;
  }
}

/** The most arguments `name` takes, or `undefined` if it declares no bound. */
function maxArgsOf(name: string): number | undefined {
  return Object.hasOwn(OPERATION_MAX_ARGS, name)
    ? OPERATION_MAX_ARGS[name as OperationName]
    : undefined;
}

/** Describe an untrusted value without coercing it (`String(x)` can throw or run code). */
function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : `of type ${typeof value}`;
}

function checkRelease(message: Record<string, unknown>): string | null {
  for (const name of Object.keys(message)) {
    if (!RELEASE_MEMBERS.has(name)) return 'RELEASE carries unexpected members';
  }
  if (Object.hasOwn(message, 'path')) {
    const { path } = message;
    if (!Array.isArray(path) || path.length !== 0) return 'RELEASE must not carry a path';
  }
  return null;
}

function checkApply(
  message: Record<string, unknown>,
  operations: ReadonlySet<string>,
): string | null {
  const { path, argumentList } = message;
  if (!Array.isArray(path) || path.length !== 1) return 'path must name exactly one operation';
  const [name] = path;
  if (typeof name !== 'string' || !operations.has(name)) return 'unknown operation';
  const max = maxArgsOf(name);
  if (max === undefined) return 'operation has no argument bound';
  if (argumentList === undefined) return null;
  if (!Array.isArray(argumentList)) return 'malformed arguments';
  // Before any argument is looked at (Comlink would deserialise and spread them all).
  if (argumentList.length > max) return `too many arguments (at most ${max})`;
  for (let i = 0; i < argumentList.length; i++) {
    const arg: unknown = argumentList[i];
    // Only plain values cross: no proxies (callbacks into the app) and no foreign handlers.
    if (typeof arg !== 'object' || arg === null || (arg as { type?: unknown }).type !== 'RAW') {
      return 'arguments must be plain values';
    }
  }
  return null;
}

function check(data: unknown, operations: ReadonlySet<string>): string | null {
  if (typeof data !== 'object' || data === null) return 'message is not an object';
  const message = data as Record<string, unknown>;
  // Every call must be answerable: an id-less message would run with no one to tell.
  if (callId(message) === null) return 'message has no valid id';
  const { type } = message;
  if (type === 'RELEASE') return checkRelease(message);
  if (type !== 'APPLY') return `message type ${describeValue(type)} is not allowed`;
  return checkApply(message, operations);
}

/**
 * Why a message was refused, or `null` if it may pass. Never throws: a message that makes the
 * check throw is refused.
 * @param data - the message as it arrived on the port (untrusted).
 * @param operations - the operation names an `APPLY` may call; each must have a bound in
 *   `OPERATION_MAX_ARGS`, or it is refused.
 */
export function checkMessage(data: unknown, operations: ReadonlySet<string>): string | null {
  try {
    return check(data, operations);
  } catch {
    return UNCHECKABLE;
  }
}

/** The wire form of a thrown error, as Comlink's `throw` handler would produce it. */
export function thrownReply(id: string, error: SerializedError): Record<string, unknown> {
  return { id, type: 'HANDLER', name: 'throw', value: error };
}

/** Options of {@link guardedEndpoint}. */
export interface GuardOptions {
  /**
   * Called once for every refused message (answered or dropped), after its reply was posted.
   * An exception it throws is swallowed.
   */
  readonly onViolation?: () => void;
  /**
   * The most messages the bridge reads in one batch, as it announced in `connect`: batches are
   * then read (up to `MAX_BATCH_MESSAGES`) and answers batched. `null` or absent: neither.
   */
  readonly batch?: number | null;
}

/** A Comlink endpoint over a port, which can also close that port. */
export type GuardedEndpoint = Endpoint & {
  /** Close the port: no message is received or answered any more. */
  close(): void;
};

/**
 * Wrap a port so that only allowed calls reach the listener Comlink registers on it.
 * Refused messages that carry a string `id` get a `PROTOCOL_VIOLATION` reply; others are dropped.
 * Nothing a message contains makes the port listener throw.
 *
 * Once a `RELEASE` has passed and Comlink, having posted its reply, removes its listener, the
 * port is closed (Comlink 4 itself closes only a real `MessagePort`, never a wrapper like this).
 * @param port - the channel's port (not yet started).
 * @param operations - the operation names an `APPLY` may call.
 * @param options - see {@link GuardOptions}.
 */
export function guardedEndpoint(
  port: MessagePort,
  operations: ReadonlySet<string>,
  options: GuardOptions = {},
): GuardedEndpoint {
  const wrapped = new Map<EventListenerOrEventListenerObject, Listener>();
  let released = false;
  const batching = options.batch ?? null;

  /** Post a reply now, or with this task's other answers; never throws. */
  const post = (message: unknown, transfer: Transferable[] = []): void => {
    if (sender) {
      sender.send(message, transfer);
      return;
    }
    try {
      port.postMessage(message, transfer);
    } catch {
      // The port is closed or the reply could not be posted: there is no one left to tell.
    }
  };

  const reply = (id: string | null, error: StrongroomError): void => {
    if (id === null) return;
    post(thrownReply(id, serializeError(error)));
  };

  const sender =
    batching === null
      ? null
      : new BatchSender(
          {
            post: (message, transfer) => port.postMessage(message, transfer),
            failed: (message) => {
              // An answer that cannot be cloned (Comlink would have sent a TypeError): say so,
              // without detail. If even that fails, the port is gone.
              try {
                port.postMessage(
                  thrownReply(
                    callId(message) ?? '',
                    serializeError(new StrongroomError('INTERNAL_ERROR', 'internal error')),
                  ),
                );
              } catch {
                // No one left to tell.
              }
            },
          },
          batching,
        );

  const refuse = (data: unknown, reason: string): void => {
    reply(callId(data), new StrongroomError('PROTOCOL_VIOLATION', reason));
    try {
      options.onViolation?.();
    } catch {
      // A failing observer must not knock the guard over either.
    }
  };

  const close = (): void => {
    sender?.flush(); // the answers of this task (a RELEASE's) go before the port closes
    for (const guard of wrapped.values()) port.removeEventListener('message', guard);
    wrapped.clear();
    port.close();
  };

  return {
    postMessage(message: unknown, transfer?: Transferable[]) {
      if (sender) sender.send(message, transfer ?? []);
      else port.postMessage(message, transfer ?? []);
    },
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const guard: Listener = (event) => {
        let data: unknown;
        try {
          data = event.data;
        } catch {
          refuse(undefined, UNCHECKABLE);
          return;
        }
        const batched = batching === null ? null : batchedMessages(data, MAX_BATCH_MESSAGES);
        if (batched === null) {
          one(data, event);
          return;
        }
        if (batched.length === 0) {
          refuse(data, 'malformed batch');
          return;
        }
        // Comlink reads `data` and `origin` (a port's messages have origin '').
        for (const message of batched) {
          one(message, { data: message, origin: event.origin } as MessageEvent);
        }
      };
      /** Check and handle one message (`event` carries it to Comlink). */
      const one = (data: unknown, event: MessageEvent): void => {
        let reason: string | null;
        let release = false;
        try {
          reason = checkMessage(data, operations);
          release = reason === null && (data as { type: unknown }).type === 'RELEASE';
        } catch {
          reason = UNCHECKABLE;
        }
        if (reason !== null) {
          refuse(data, reason);
          return;
        }
        if (release) released = true;
        try {
          if (typeof listener === 'function') listener(event);
          else listener.handleEvent(event);
        } catch {
          // Comlink answers from a promise chain, so a synchronous throw means no answer was
          // posted: answer it, without detail, rather than let the error escape the listener.
          reply(callId(data), new StrongroomError('INTERNAL_ERROR', 'internal error'));
        }
      };
      wrapped.set(listener, guard);
      port.addEventListener(type, guard as EventListener);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const guard = wrapped.get(listener);
      if (guard) port.removeEventListener(type, guard as EventListener);
      wrapped.delete(listener);
      // Comlink removes its listener only after posting its answer to a RELEASE.
      if (released && wrapped.size === 0) close();
    },
    start() {
      port.start();
    },
    close,
  };
}
