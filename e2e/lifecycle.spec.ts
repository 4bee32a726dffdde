/**
 * The connection's life cycle: a frame reloaded, moved or removed, a closed channel, reconnects
 * (by hand and automatic), call timeouts, AbortSignals, `using`, protocol mismatches both ways and
 * typed refusal reasons.
 */
import { LIFECYCLE } from './core/lifecycle';
import { registerCore } from './support/test';

// The bodies live in e2e/core/lifecycle.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
registerCore(LIFECYCLE);
