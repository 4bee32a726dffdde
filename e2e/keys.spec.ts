/**
 * Keys: generation per algorithm, persistence across a reload and a new bridge connection
 * (including keys an engine can only keep wrapped at rest: WebKit's X25519), non-extractability
 * checked inside the enclave, public key formats, sign/verify, seal/open, delete.
 */
import { KEYS } from './core/keys';
import { registerCore } from './support/test';

// The bodies live in e2e/core/keys.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
registerCore(KEYS);
