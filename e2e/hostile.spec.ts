/**
 * A hostile client with a raw port: the Comlink escapes (CONSTRUCT on constructor.constructor,
 * SET on __proto__, GET, ENDPOINT, unknown and nested paths, handler-typed arguments) and
 * malformed, wrong-typed and oversized arguments. Each must end in a typed error with a stable
 * code; afterwards the enclave still works and the keystore is exactly as before.
 */
import { HOSTILE } from './core/hostile';
import { registerCore } from './support/test';

// The bodies live in e2e/core/hostile.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
registerCore(HOSTILE);
