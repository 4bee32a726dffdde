/**
 * Vault mode: passphrases typed in the enclave's dialog, LOCKED while locked, migrations both
 * ways. The bodies live in e2e/core/vault.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
 */
import { VAULT } from './core/vault';
import { registerCore } from './support/test';

registerCore(VAULT);
