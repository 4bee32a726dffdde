/**
 * Persistent storage: what `info()` reports of the enclave's `navigator.storage.persist()`
 * request in Chromium and Firefox, both topologies. The body is e2e/core/persistence.ts; it runs
 * in WebKitGTK too (e2e/webkit/persistence.test.ts).
 */
import { PERSISTENCE } from './core/persistence';
import { registerCore } from './support/test';

registerCore(PERSISTENCE);
