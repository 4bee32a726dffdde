/**
 * Consent: real clicks in the enclave's dialog, and a hostile app page that tries everything
 * else. The bodies live in e2e/core/consent.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
 */
import { CONSENT } from './core/consent';
import { registerCore } from './support/test';

registerCore(CONSENT);
