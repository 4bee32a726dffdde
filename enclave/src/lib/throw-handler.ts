/**
 * The enclave's Comlink `throw` handler: an operation's error crosses the channel as
 * `{ code, message }` only. A `StrongroomError` keeps both; anything else becomes
 * `INTERNAL_ERROR` with a fixed message, so no stack or internal detail reaches the app.
 */
import { deserializeError, serializeError } from '@strongroom/bridge/errors';
import { transferHandlers } from 'comlink';

/** Install the handler (idempotent). The enclave's worker is the only Comlink user there. */
export function installThrowHandler(): void {
  const original = transferHandlers.get('throw');
  if (!original) throw new Error('comlink has no throw handler');
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize: (thrown) => [serializeError((thrown as { value: unknown }).value), []],
    deserialize: (value) => {
      throw deserializeError(value);
    },
  });
}
