/**
 * The enclave document's side of the worker's questions: it shows the consent dialog and the
 * secret dialog when the key worker asks (on the worker's own channel), answers on that
 * channel, and tells the app — the bound origin only — to show or hide the frame (`consent`
 * messages, with what is asked but never what is typed) and when the vault locks or unlocks
 * (`vault` messages).
 */
import {
  type ConsentMessage,
  PROTOCOL_VERSION,
  type VaultMessage,
} from '@strongroom/bridge/protocol';
import { ConsentDialog } from './dialog';
import {
  type ConsentAnswer,
  isConsentAsk,
  isConsentEnd,
  isSecretAsk,
  isVaultStateNotice,
  type SecretAnswer,
} from './messages';
import { SecretDialog } from './secret-dialog';

/** Serve the questions of `worker`, whose channel is bound to `callerOrigin`. */
export function serveConsent(worker: Worker, callerOrigin: string): void {
  const dialog = new ConsentDialog();
  const secrets = new SecretDialog();
  const tell = (message: ConsentMessage | VaultMessage) =>
    window.parent.postMessage(message, callerOrigin);
  worker.addEventListener('message', (message: MessageEvent) => {
    const data: unknown = message.data;
    if (isConsentAsk(data)) {
      tell({
        type: 'strongroom:consent',
        protocol: PROTOCOL_VERSION,
        phase: 'open',
        request: data.request,
      });
      dialog.show(data, (outcome) => {
        const answer: ConsentAnswer = { type: 'strongroom:consent-answer', id: data.id, outcome };
        worker.postMessage(answer);
      });
    } else if (isSecretAsk(data)) {
      tell({
        type: 'strongroom:consent',
        protocol: PROTOCOL_VERSION,
        phase: 'open',
        request: data.request,
      });
      secrets.show(data, (given) => {
        const answer: SecretAnswer = { type: 'strongroom:secret-answer', id: data.id, ...given };
        worker.postMessage(answer);
      });
    } else if (isConsentEnd(data)) {
      dialog.close(data.id);
      secrets.close(data.id);
      tell({ type: 'strongroom:consent', protocol: PROTOCOL_VERSION, phase: 'close' });
    } else if (isVaultStateNotice(data)) {
      tell({
        type: 'strongroom:vault',
        protocol: PROTOCOL_VERSION,
        locked: data.locked,
        reason: data.reason,
      });
    }
  });
}
