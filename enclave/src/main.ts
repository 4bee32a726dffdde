/**
 * The enclave document's boot: the handshake, exactly as DESIGN describes it.
 *
 * 1. Refuse to run at top level or when framed more than once.
 * 2. Post `ready` to the parent, addressed to allowlisted origins only (never `*`).
 * 3. Accept the first `connect` whose `event.source` is the parent and whose `event.origin`
 *    is allowlisted, carrying one `MessagePort`; the guard is set synchronously, before any
 *    `await`, so a second handshake can never race the first. A `connect` of another protocol
 *    version is answered `refused: protocol-mismatch` (to that parent only) and not accepted.
 * 4. Bind the caller's origin to the channel and hand the port to the key worker. From then
 *    on no window message is accepted.
 *
 * Before `ready`, every integrity check has passed or the enclave refuses: the stylesheets
 * pinned by SRI applied (`integrity-failed` otherwise), and the key worker's script was fetched
 * with its integrity (`worker-failed` otherwise, or if the worker fails before it reports that
 * it started; after that no error of the worker is a refusal).
 *
 * Nothing waits that need not (docs/performance.md, "Where cold start goes"): the worker script,
 * the second fetch of `index.html` and the stylesheets load in parallel; the worker is started
 * from its verified bytes as soon as they arrive — before the stylesheet check and the
 * handshake, though it gets no port before the handshake — so that its evaluation and its
 * IndexedDB open overlap them. The release digest reported by `info()` is computed from the
 * pins and the page's own `index.html` (`release-digest.ts`) and sent to the worker when
 * known, which may be after `ready`: the worker's `info()` waits for it, so no answer (and no
 * `expectDigest` check) ever sees a digest before it is known. The document also asks for
 * persistent storage once (`persistence.ts`), in parallel, never holding up the handshake, and
 * tells the worker how that ended.
 */
import { announcedBatch } from '@strongroom/bridge/batch';
import {
  type ConnectMessage,
  PROTOCOL_VERSION,
  type ReadyMessage,
  type RefusalReason,
  type RefusedMessage,
} from '@strongroom/bridge/protocol';
import { ALLOWED_ORIGINS, DEV } from './build-info';
import { serveConsent } from './consent/serve';
import { type BootMark, type BootMarksMessage, bootMarks, mark } from './lib/boot-marks';
import { isCrossSite } from './lib/site';
import { fetchWorkerScript, startWorker, WORKER_INTEGRITY, WORKER_PATH } from './load-worker';
import { type PersistNotice, requestPersistence } from './persistence';
import { documentFiles, fetchDocumentPin, releaseDigestOf, withWorker } from './release-digest';
import type { ReleaseDigestNotice, WorkerInit } from './worker-init';

const NONCE = /^[A-Za-z0-9_-]{22,64}$/;

/** What the key worker posts to this document once it has started (`worker.ts`). */
const WORKER_STARTED = 'strongroom:worker-started';

function setStatus(status: string): void {
  document.documentElement.dataset.status = status;
  const el = document.getElementById('status');
  if (el) el.textContent = status;
}

/** Post to the parent, addressed to each allowlisted origin (only a matching one delivers). */
function postToParent(message: ReadyMessage | RefusedMessage): void {
  // Where the browser tells the parent's origin, address only that one. It may not tell:
  // Firefox has no `ancestorOrigins` before 153, and masks it as "null" when the iframe has
  // `referrerpolicy="no-referrer"` (as the bridge sets it).
  const parentOrigin = location.ancestorOrigins?.[0];
  const known = parentOrigin !== undefined && parentOrigin !== 'null';
  const targets = known
    ? ALLOWED_ORIGINS.has(parentOrigin)
      ? [parentOrigin]
      : []
    : [...ALLOWED_ORIGINS];
  for (const origin of targets) window.parent.postMessage(message, origin);
}

function refuse(reason: RefusalReason): void {
  refused = true;
  setStatus(`refused: ${reason}`);
  if (window.parent !== window) {
    postToParent({ type: 'strongroom:refused', protocol: PROTOCOL_VERSION, reason });
  }
}

function isConnectMessage(data: unknown): data is ConnectMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return (
    m.type === 'strongroom:connect' &&
    m.protocol === PROTOCOL_VERSION &&
    typeof m.nonce === 'string' &&
    NONCE.test(m.nonce)
  );
}

/** A `connect` of another protocol version than this enclave's (answered `protocol-mismatch`). */
function isOtherProtocolConnect(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return m.type === 'strongroom:connect' && m.protocol !== PROTOCOL_VERSION;
}

/**
 * Dev builds only: this document's start-up as marks (`lib/boot-marks.ts`): its navigation,
 * each subresource fetch (start and end), and the marks of {@link boot}.
 */
function documentMarks(): BootMark[] {
  if (!DEV) return [];
  const at = (t: number) => performance.timeOrigin + t;
  const out: BootMark[] = [{ name: 'navigation-start', at: at(0) }];
  const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
  if (nav) {
    out.push(
      { name: 'document-response-start', at: at(nav.responseStart) },
      { name: 'document-response-end', at: at(nav.responseEnd) },
      { name: 'dom-interactive', at: at(nav.domInteractive) },
    );
  }
  for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
    const path = new URL(r.name).pathname.split('/').pop() || 'index.html';
    // Read from the HTTP cache, not the network (Firefox's integrity-checked fetch of the
    // preloaded worker script: docs/performance.md).
    const from = r.transferSize === 0 && r.decodedBodySize > 0 ? ' (cache)' : '';
    out.push(
      { name: `fetch ${path}${from} start`, at: at(r.fetchStart) },
      { name: `fetch ${path}${from} end`, at: at(r.responseEnd) },
    );
  }
  return [...out, ...bootMarks()].sort((a, b) => a.at - b.at);
}

/** Dev builds only: hand this document's marks to the key worker, which reports them. */
function sendMarks(worker: Worker): void {
  if (!DEV) return;
  const message: BootMarksMessage = { type: 'strongroom:dev-boot-marks', marks: documentMarks() };
  worker.postMessage(message);
}

let accepted = false;
/** The latest answer to the persistence request, and the worker to tell (once started). */
let persistResult: PersistNotice['result'] | null = null;
let persistWorker: Worker | null = null;

function tellPersistence(): void {
  if (persistWorker && persistResult) {
    const notice: PersistNotice = { type: 'strongroom:persist', result: persistResult };
    persistWorker.postMessage(notice);
  }
}
/** The key worker, set once it is started from its verified script (before `ready`). */
let keyWorker: Worker | null = null;
/** Set by {@link refuse}: a refused enclave never posts `ready` nor accepts a `connect`. */
let refused = false;

function onMessage(event: MessageEvent): void {
  // Everything here is synchronous until `accepted` is set.
  if (accepted || refused) return;
  if (event.source !== window.parent) return;
  if (!ALLOWED_ORIGINS.has(event.origin)) return;
  if (isOtherProtocolConnect(event.data)) {
    // Say so at once, to this allowlisted parent only, and keep waiting for a connect of our
    // version: the bridge reports PROTOCOL_MISMATCH instead of timing out.
    const refused: RefusedMessage = {
      type: 'strongroom:refused',
      protocol: PROTOCOL_VERSION,
      reason: 'protocol-mismatch',
    };
    window.parent.postMessage(refused, event.origin);
    return;
  }
  if (!isConnectMessage(event.data)) return;
  const [port] = event.ports;
  if (!port || event.ports.length !== 1) return;
  accepted = true;
  window.removeEventListener('message', onMessage);
  mark('connect-received');

  const worker = keyWorker;
  if (!worker) return;
  const init: WorkerInit = {
    callerOrigin: event.origin,
    enclaveOrigin: location.origin,
    crossSite: isCrossSite(event.origin, location.origin),
    nonce: event.data.nonce,
    batch: announcedBatch((event.data as { batch?: unknown }).batch),
  };
  serveConsent(worker, event.origin);
  worker.postMessage(init, [port]);
  mark('init-posted');
  sendMarks(worker);
  persistWorker = worker;
  tellPersistence();
  setStatus('connected');
}

/**
 * Start the key worker from its verified blob URL. A worker script that fails to load,
 * evaluate or start (blocked, tampered) ends the enclave, before or after `ready`. Once it has
 * started (it exposed the operations on the channel's port), the app's messages reach it: an
 * error then is none of the document's business, and must never become a refusal the app can
 * provoke.
 */
function launchWorker(workerUrl: string): Worker {
  const worker = startWorker(workerUrl);
  let started = false;
  worker.addEventListener('message', function onStarted(message: MessageEvent) {
    if (message.data !== WORKER_STARTED) return;
    started = true;
    worker.removeEventListener('message', onStarted);
  });
  worker.addEventListener('error', () => {
    if (!started) refuse('worker-failed');
  });
  mark('worker-created');
  return worker;
}

/**
 * The release digest from the pins and `index.html` fetched again; `null` when not known. The
 * key worker counts once ({@link withWorker}): the page's preload of it must name the integrity
 * the worker was fetched with, or no digest is told.
 */
async function releaseDigest(documentPin: ReturnType<typeof fetchDocumentPin>) {
  const files = documentFiles(document);
  const index = await documentPin;
  if (!files || !index) return null;
  const pinned = withWorker(files, { path: WORKER_PATH, sha384: WORKER_INTEGRITY });
  if (!pinned) return null;
  return releaseDigestOf([...pinned, index]).catch(() => null);
}

/** Resolves once every stylesheet has loaded or failed (the window's `load` event). */
function loaded(): Promise<void> {
  if (document.readyState === 'complete') return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('load', () => resolve(), { once: true }));
}

/**
 * After `load`: whether every stylesheet loaded. Browsers differ on what a link blocked by SRI
 * looks like (Chromium leaves `sheet` null, Firefox keeps an empty sheet), and computed styles
 * are not reliable in a `display: none` frame, so each stylesheet must contain the rule of
 * `enclave.css` that sets `--strongroom-stylesheet: applied`.
 */
function stylesheetsApplied(): boolean {
  const links = document.querySelectorAll<HTMLLinkElement>('link[rel~="stylesheet"]');
  return Array.from(links).every((link) => {
    try {
      return Array.from(link.sheet?.cssRules ?? []).some(
        (rule) =>
          rule instanceof CSSStyleRule &&
          rule.style.getPropertyValue('--strongroom-stylesheet').trim() === 'applied',
      );
    } catch {
      return false;
    }
  });
}

async function boot(): Promise<void> {
  if (window.parent === window) {
    refuse('not-framed');
    return;
  }
  const ancestors = location.ancestorOrigins?.length;
  if (window.parent !== window.top || (ancestors !== undefined && ancestors > 1)) {
    refuse('framed-twice');
    return;
  }
  mark('boot');
  requestPersistence(navigator.storage as StorageManager | undefined, (result) => {
    persistResult = result;
    tellPersistence();
  });
  // The worker starts as soon as its bytes are verified (fetch with integrity), in parallel
  // with the stylesheets; a rejection is handled below, after the stylesheet check.
  const workerStarting = fetchWorkerScript().then(launchWorker);
  workerStarting.catch(() => undefined);
  const documentPin = fetchDocumentPin();
  void documentPin.then(() => mark('pin-fetched'));
  await loaded();
  mark('load');
  if (!stylesheetsApplied()) {
    refuse('integrity-failed');
    void workerStarting.then(
      (w) => w.terminate(),
      () => undefined,
    );
    return;
  }
  mark('stylesheets-checked');
  let worker: Worker;
  try {
    worker = await workerStarting;
  } catch {
    refuse('worker-failed');
    return;
  }
  mark('worker-awaited');
  // The worker may already have failed to evaluate (its `error` refused the enclave).
  if (refused) {
    worker.terminate();
    return;
  }
  keyWorker = worker;
  // Needed by info() only, which waits for it in the worker: finished after `ready`.
  void releaseDigest(documentPin).then((digest) => {
    mark('digest');
    const notice: ReleaseDigestNotice = { type: 'strongroom:release-digest', digest };
    worker.postMessage(notice);
    sendMarks(worker);
  });
  window.addEventListener('message', onMessage);
  setStatus('ready');
  mark('ready');
  postToParent({ type: 'strongroom:ready', protocol: PROTOCOL_VERSION });
}

void boot();
