/**
 * Calls made together travel together (docs/api.md): the channel's messages posted in one task
 * leave as one {@link BatchMessage}, in each direction, once both sides announced `batch` in
 * the handshake. The bridge's endpoint (`endpoint.ts`) and the key worker's guard
 * (`enclave/src/lib/comlink-guard.ts`) both send through a {@link BatchSender} and read with
 * {@link batchedMessages}; each message of a batch is then handled exactly as if it had come
 * alone.
 *
 * A batch is flushed in a microtask, so a call made alone leaves in the same task it was made
 * in, as before; only calls made in one synchronous run (a `Promise.all`, a loop) share one.
 */
import { type BatchMessage, MAX_BATCH_MESSAGES } from './protocol';

/** How a {@link BatchSender} posts, and what it does when a message cannot be posted. */
export interface BatchPost {
  /** Post one message on the port (throws what `postMessage` throws). */
  post(message: unknown, transfer: Transferable[]): void;
  /** `message` could not be posted, alone, because of `error` (answer its call some other way). */
  failed(message: unknown, error: unknown): void;
}

/**
 * Collects the messages posted in one task and posts them in a microtask: alone, or as
 * {@link BatchMessage}s of at most `max` messages (each with the transfer lists of its own
 * messages). If a batch cannot be posted (one of its messages cannot be cloned), its messages
 * are posted one by one, so only the one at fault fails.
 */
export class BatchSender {
  readonly #out: BatchPost;
  readonly #max: number;
  #queue: { message: unknown; transfer: Transferable[] }[] = [];
  #scheduled = false;

  /** `max`: the most messages the other side said it reads in one batch (2 or more). */
  constructor(out: BatchPost, max: number) {
    this.#out = out;
    this.#max = Math.max(2, Math.min(max, MAX_BATCH_MESSAGES));
  }

  /** Queue `message` for this task's batch. */
  send(message: unknown, transfer: Transferable[] = []): void {
    this.#queue.push({ message, transfer });
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Post everything queued now (before a message that must not wait, or a close). */
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += this.#max) {
      const chunk = queue.slice(i, i + this.#max);
      if (chunk.length === 1) {
        this.#alone(chunk[0] as (typeof chunk)[number]);
        continue;
      }
      const batch: BatchMessage = {
        type: 'strongroom:batch',
        messages: chunk.map((m) => m.message),
      };
      try {
        this.#out.post(
          batch,
          chunk.flatMap((m) => m.transfer),
        );
      } catch {
        for (const m of chunk) this.#alone(m);
      }
    }
  }

  #alone({ message, transfer }: { message: unknown; transfer: Transferable[] }): void {
    try {
      this.#out.post(message, transfer);
    } catch (error) {
      this.#out.failed(message, error);
    }
  }
}

/**
 * The messages of `data` if it is a well-formed {@link BatchMessage} of at most `max` messages;
 * `[]` if it is a malformed one (not an array, empty, too long); `null` if it is not a batch.
 * Never throws, and never coerces what it reads.
 */
export function batchedMessages(data: unknown, max: number): readonly unknown[] | null {
  try {
    if (typeof data !== 'object' || data === null) return null;
    if ((data as { type?: unknown }).type !== 'strongroom:batch') return null;
    const messages: unknown = (data as { messages?: unknown }).messages;
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > max) return [];
    return messages;
  } catch {
    return [];
  }
}

/** The `batch` a handshake message announced, if it is a usable one (2 or more), else `null`. */
export function announcedBatch(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 2
    ? Math.min(value, MAX_BATCH_MESSAGES)
    : null;
}
