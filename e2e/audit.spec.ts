/**
 * The audit log: entries, checkpoints, retention, tampering and two tabs. The bodies live in
 * e2e/core/audit.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
 */
import { AUDIT } from './core/audit';
import { registerCore } from './support/test';

registerCore(AUDIT);
