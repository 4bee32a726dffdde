/**
 * The app side of the handshake: wait for the enclave's `ready` from the iframe we created,
 * answer once with a `MessagePort` and a nonce to the exact enclave origin, and wait for the
 * key worker's `accepted` (echoing the nonce) on that port.
 */
import { StrongroomError } from './errors';
import {
  type AcceptedMessage,
  type ConnectMessage,
  PROTOCOL_VERSION,
  type RefusedMessage,
} from './protocol';

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

/**
 * Run the handshake with `iframe` (already inserted, loading `enclaveOrigin`). Resolves with
 * the connected port; rejects with `HANDSHAKE_TIMEOUT` after `timeoutMs`, or with
 * `ENCLAVE_UNAVAILABLE` if the enclave says it refuses to start.
 */
export function handshake(
  iframe: HTMLIFrameElement,
  enclaveOrigin: string,
  timeoutMs: number,
): Promise<MessagePort> {
  return new Promise<MessagePort>((resolve, reject) => {
    const nonce = randomNonce();
    const channel = new MessageChannel();
    let answered = false;

    const cleanup = () => {
      clearTimeout(timer);
      window.removeEventListener('message', onWindowMessage);
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

    function onWindowMessage(event: MessageEvent): void {
      // Only the iframe we created, from the exact enclave origin, is listened to.
      if (event.source !== iframe.contentWindow || event.origin !== enclaveOrigin) return;
      const data: unknown = event.data;
      if (!isRecord(data) || data.protocol !== PROTOCOL_VERSION) return;
      if (data.type === 'strongroom:refused') {
        const reason = String((data as unknown as RefusedMessage).reason).slice(0, 64);
        fail(new StrongroomError('ENCLAVE_UNAVAILABLE', `the enclave refused to start: ${reason}`));
        return;
      }
      if (data.type !== 'strongroom:ready' || answered) return;
      answered = true;
      const connect: ConnectMessage = {
        type: 'strongroom:connect',
        protocol: PROTOCOL_VERSION,
        nonce,
      };
      iframe.contentWindow?.postMessage(connect, enclaveOrigin, [channel.port2]);
    }

    channel.port1.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (!isRecord(data)) return;
      const accepted = data as Partial<AcceptedMessage>;
      if (accepted.type !== 'strongroom:accepted' || accepted.nonce !== nonce) return;
      cleanup();
      resolve(channel.port1);
    };
    window.addEventListener('message', onWindowMessage);
  });
}
