/**
 * Run the demo server on its own: `npx tsx host-demo/server/main.ts --port 8080
 * --data-dir ./demo-data --static dist/start/host --enclave-url http://localhost:8081/
 * [--cors http://127.0.0.1:4701] [--push-ca cert.pem] [--manifest dist/release/manifest.json
 * [--manifest-bundle dist/release/manifest.sigstore.json]]`. Prints `listening on <port>` once it
 * listens. `--push-ca` trusts one more certificate for push services: only for a local
 * push-service stand-in in tests. `--manifest` publishes the enclave's release manifest (and
 * `--manifest-bundle` its Sigstore bundle) for the verification panel.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startDemoServer } from './app';
import { Store } from './db';
import { webPushSender } from './push';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.DEMO_PORT ?? '8080' },
    'data-dir': { type: 'string', default: process.env.DEMO_DATA_DIR ?? 'demo-data' },
    static: { type: 'string' },
    'enclave-url': { type: 'string' },
    cors: { type: 'string', multiple: true },
    'push-ca': { type: 'string' },
    manifest: { type: 'string' },
    'manifest-bundle': { type: 'string' },
  },
});
const store = new Store(values['data-dir']);
const enclaveUrl = values['enclave-url'];
const manifest = values.manifest;
const bundle = values['manifest-bundle'];
const served = await startDemoServer({
  port: Number(values.port),
  store,
  ...(values.static ? { staticDir: values.static } : {}),
  ...(manifest ? { manifest: { file: manifest, ...(bundle ? { bundleFile: bundle } : {}) } } : {}),
  ...(enclaveUrl ? { config: () => ({ enclaveUrl }) } : {}),
  corsOrigins: values.cors ?? [],
  push: webPushSender(values['push-ca'] ? { ca: readFileSync(values['push-ca'], 'utf8') } : {}),
  log: (line) => console.log(line),
});
console.log(`listening on ${served.port}`);
const stop = () => {
  void served.close().then(() => {
    store.close();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
