/**
 * The key worker. It owns the keystore and runs every operation. The enclave document starts
 * it as soon as its script is verified, before the handshake, so that its evaluation and the
 * opening of IndexedDB overlap the document's checks and the handshake. It receives exactly
 * one init message from the document: the bound caller origin and the port of the channel.
 * It then answers the handshake on the port and exposes the operations over it through the
 * hardened endpoint. The app talks to it only through that port. The document also sends the
 * release digest (which `info()` waits for) and how its persistence request ended.
 */
import {
  type AcceptedMessage,
  MAX_BATCH_MESSAGES,
  OPERATION_NAMES,
  PROTOCOL_VERSION,
} from '@strongroom/bridge/protocol';
import { expose } from 'comlink';
import {
  BENCH_AUDIT_OFF,
  CONSENT_FIRST_CONNECTION,
  CONSENT_TIMEOUT_MS,
  DEV,
  RATE_LIMITS,
} from './build-info';
import { createContext } from './context';
import { AuditStore } from './keystore/audit-store';
import { Keystore, openKeystoreDb } from './keystore/store';
import { type BootMark, bootMarks, isBootMarksMessage, mark } from './lib/boot-marks';
import { guardedEndpoint } from './lib/comlink-guard';
import { installThrowHandler } from './lib/throw-handler';
import { createApi } from './ops/index';
import { PersistenceReport } from './persistence';
import { AuditTrail } from './policy/audit';
import { installDevClock } from './policy/clock';
import { ConsentBroker, workerConsentChannel } from './policy/consent';
import { ChannelPolicy, now } from './policy/index';
import { isReleaseDigestNotice, isWorkerInit, type WorkerInit } from './worker-init';

mark('worker-evaluated');
installThrowHandler();

/** How the enclave document's request for persistent storage ended (read by `info()`). */
const persistence = new PersistenceReport();
persistence.listen(self);

/**
 * IndexedDB opened at once, while the document finishes its checks and the handshake runs;
 * `start` waits for it. A failure is read there (storage-dependent operations then answer
 * STORAGE_UNAVAILABLE).
 */
const dbOpening = openKeystoreDb();
dbOpening.then(
  () => mark('indexeddb-opened'),
  () => mark('indexeddb-failed'),
);

/** The release digest, as the document sends it (once; before or after the init message). */
const releaseDigest = new Promise<string | null>((resolve) => {
  self.addEventListener('message', function onDigest(event: MessageEvent<unknown>) {
    if (!isReleaseDigestNotice(event.data)) return;
    self.removeEventListener('message', onDigest);
    resolve(event.data.digest);
  });
});

/** Dev builds only: the enclave document's start-up marks, as it last sent them. */
let documentMarks: readonly BootMark[] = [];

async function start(init: WorkerInit, port: MessagePort): Promise<void> {
  let keystore: Keystore | null = null;
  let db: Awaited<ReturnType<typeof openKeystoreDb>> | null = null;
  mark('init-received');
  try {
    db = await dbOpening;
    keystore = new Keystore(db, init.callerOrigin);
  } catch {
    // Storage-dependent operations will answer STORAGE_UNAVAILABLE; `info` still works.
  }
  mark('indexeddb-awaited');
  await installDevClock(db);
  mark('dev-clock');
  // Keys whose deletion date has passed are destroyed before anything else can name them.
  await keystore?.destroyDue(now()).catch(() => undefined);
  mark('destroy-due');
  const ctx = createContext({
    ...init,
    releaseDigest,
    keystore,
    rateLimits: RATE_LIMITS,
    persistRequest: () => persistence.read(),
    // Dev builds only: release builds drop it (info() never reports it there).
    ...(DEV ? { devBoot: () => ({ document: documentMarks, worker: bootMarks() }) } : {}),
  });
  const consent = new ConsentBroker(
    workerConsentChannel(self),
    init.callerOrigin,
    CONSENT_TIMEOUT_MS,
  );
  // BENCH_AUDIT_OFF: the bench's "audit off" variant only (build-info.ts); false in every
  // release build, where the bundler drops this test.
  const audit =
    db && keystore && !BENCH_AUDIT_OFF
      ? new AuditTrail(new AuditStore(db, init.callerOrigin), keystore, now, RATE_LIMITS)
      : null;
  const policy = new ChannelPolicy(ctx, RATE_LIMITS, now, consent, audit, CONSENT_FIRST_CONNECTION);
  mark('audit-setup');
  // Batches both ways only when the bridge announced it reads them (older bridges do not).
  const accepted: AcceptedMessage = {
    type: 'strongroom:accepted',
    protocol: PROTOCOL_VERSION,
    nonce: init.nonce,
    ...(init.batch !== null ? { batch: MAX_BATCH_MESSAGES } : {}),
  };
  mark('accepted');
  port.postMessage(accepted);
  expose(
    createApi(policy),
    guardedEndpoint(port, new Set(OPERATION_NAMES), {
      onViolation: () => policy.violation(),
      batch: init.batch,
    }),
    [''],
  );
}

/**
 * Posted to the enclave document once `start` has exposed the operations (`main.ts` matches
 * the same literal): from then on an error in this worker is not a failure to start.
 */
const STARTED = 'strongroom:worker-started';

/**
 * After the start, no error here may reach the enclave document, where it would read as a
 * worker that failed to load (`refused: worker-failed`): whatever the app sends, it can only
 * ever get an answer on the port, never a refusal forged through the worker.
 */
function started(): void {
  self.addEventListener('error', (event) => event.preventDefault());
  self.addEventListener('unhandledrejection', (event) => event.preventDefault());
  self.postMessage(STARTED);
  if (DEV) listenDevThrow();
}

/**
 * Dev builds only (the bundler drops it from release builds; `dev-seams.test.ts` looks): a
 * message on the `dev:throw-in-worker` channel makes this worker throw in a timer and leave a
 * rejection unhandled, after the start, then answer `thrown` on the same channel. The e2e test
 * checks that neither becomes a refusal reported to the app.
 */
function listenDevThrow(): void {
  const channel = new BroadcastChannel('dev:throw-in-worker');
  channel.addEventListener('message', () => {
    setTimeout(() => {
      throw new Error('dev:throw-in-worker');
    }, 0);
    void Promise.reject(new Error('dev:throw-in-worker (rejection)'));
    setTimeout(() => channel.postMessage('thrown'), 50);
  });
}

self.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isBootMarksMessage(event.data)) documentMarks = event.data.marks;
});

// The init message is the first with a port; other messages of the document (the release
// digest, the persistence answer) may come before it.
self.addEventListener('message', function onInit(event: MessageEvent<unknown>) {
  const port = event.ports[0];
  if (!port || !isWorkerInit(event.data)) return;
  self.removeEventListener('message', onInit);
  void start(event.data, port).then(started);
});
