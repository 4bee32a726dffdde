/**
 * The handshake and its refusals: connecting, `info()`, a non-allowlisted origin, a second
 * handshake on the same document, double framing, a top-level visit, a same-origin URL, an
 * enclave that never answers, and `dispose()`.
 */
import { HANDSHAKE } from './core/handshake';
import { registerCore } from './support/test';

// The bodies live in e2e/core/handshake.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
registerCore(HANDSHAKE);
