/**
 * The bridge's Comlink `throw` handler: rebuilds a {@link StrongroomError} from the
 * `{ code, message }` the enclave sends. Comlink keeps handlers in one global table, so this
 * handler only takes over values that look like Strongroom errors and hands everything else to
 * Comlink's original handler: other Comlink users in the app keep their behaviour.
 */
import { transferHandlers } from 'comlink';
import { deserializeError, isErrorCode } from './errors';

let installed = false;

/** Install the handler once. Called by `connect()`. */
export function installThrowHandler(): void {
  if (installed) return;
  const original = transferHandlers.get('throw');
  if (!original) throw new Error('comlink has no throw handler');
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize: (value) => original.serialize(value),
    deserialize: (value) => {
      const code = (value as { code?: unknown } | null)?.code;
      if (isErrorCode(code)) throw deserializeError(value);
      return original.deserialize(value);
    },
  });
  installed = true;
}
