/**
 * Storage partitioning, asserted per browser: keys made in an embedded enclave, then the
 * enclave's origin visited at top level. A cross-site embedding is partitioned in every
 * engine (the top-level visit does not see the key); a same-site embedding shares first-party
 * storage in Chromium and Firefox (it does) and is partitioned in WebKit (it does not).
 */
import { PARTITIONING } from './core/partitioning';
import { registerCore } from './support/test';

// The bodies live in e2e/core/partitioning.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
registerCore(PARTITIONING);
