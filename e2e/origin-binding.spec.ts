/**
 * Origin binding: a second allowlisted origin, embedding the same enclave in the same storage
 * partition, can neither see nor use the first origin's keys; it gets `KEY_NOT_FOUND`, exactly
 * as for a key that does not exist. The control reads the shared IndexedDB directly to show
 * the key is physically there, so only the owner check hides it.
 */
import { ORIGIN_BINDING } from './core/origin-binding';
import { registerCore } from './support/test';

// The bodies live in e2e/core/origin-binding.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
registerCore(ORIGIN_BINDING);
