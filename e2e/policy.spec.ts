/**
 * The key policy attacked from the app page (purposes, provenance, token allowlists, life
 * cycle, rate limits). The bodies live in e2e/core/policy.ts and run in WebKitGTK too
 * (e2e/webkit/core.test.ts).
 */
import { POLICY } from './core/policy';
import { registerCore } from './support/test';

registerCore(POLICY);
