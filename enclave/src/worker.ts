/**
 * The key worker. It owns the keystore and runs every operation. It receives exactly one
 * message from the enclave document that started it: the bound caller origin and the port of
 * the channel. It then answers the handshake on the port and exposes the operations over it
 * through the hardened endpoint. The app talks to it only through that port.
 */
import {
  type AcceptedMessage,
  OPERATION_NAMES,
  PROTOCOL_VERSION,
} from '@strongroom/bridge/protocol';
import { expose } from 'comlink';
import { createContext } from './context';
import { Keystore, openKeystoreDb } from './keystore/store';
import { guardedEndpoint } from './lib/comlink-guard';
import { installThrowHandler } from './lib/throw-handler';
import { createApi } from './ops/index';
import type { WorkerInit } from './worker-init';

installThrowHandler();

async function start(init: WorkerInit, port: MessagePort): Promise<void> {
  let keystore: Keystore | null = null;
  try {
    keystore = new Keystore(await openKeystoreDb(), init.callerOrigin);
  } catch {
    // Storage-dependent operations will answer STORAGE_UNAVAILABLE; `info` still works.
  }
  const ctx = createContext({ ...init, keystore });
  const accepted: AcceptedMessage = {
    type: 'strongroom:accepted',
    protocol: PROTOCOL_VERSION,
    nonce: init.nonce,
  };
  port.postMessage(accepted);
  expose(createApi(ctx), guardedEndpoint(port, new Set(OPERATION_NAMES)), ['']);
}

self.addEventListener(
  'message',
  (event: MessageEvent<WorkerInit>) => {
    const port = event.ports[0];
    if (!port) return;
    void start(event.data, port);
  },
  { once: true },
);
