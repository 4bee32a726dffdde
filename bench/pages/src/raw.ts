/**
 * The raw-channel baseline, served from the enclave's origin: a cross-origin iframe that takes a
 * `MessagePort` from its parent and answers `{ id, req }` with `{ id, value }` by doing the same
 * WebCrypto call as the enclave (crypto-ops.ts) — no Comlink, no validation, no keystore reads.
 * Bench fixture only: it accepts any parent, which the enclave never does.
 */
import { Baseline, type Request, transfersOf } from './crypto-ops';

const baseline = new Baseline();

window.addEventListener('message', (event) => {
  if (event.source !== window.parent || event.data?.type !== 'bench:connect') return;
  const port = event.ports[0];
  if (!port) return;
  port.onmessage = async (msg: MessageEvent<{ id: number; req: Request | { op: 'setup' } }>) => {
    const { id, req } = msg.data;
    try {
      const value = req.op === 'setup' ? await baseline.setup() : await baseline.run(req);
      port.postMessage({ id, value }, transfersOf(value));
    } catch (err) {
      port.postMessage({ id, error: String(err) });
    }
  };
});
window.parent.postMessage({ type: 'bench:ready' }, '*');
