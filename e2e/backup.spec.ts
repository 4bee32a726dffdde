/**
 * Backup and restore: secrets entered in the enclave's dialog, restores verified in full and
 * written at once. The bodies live in e2e/core/backup.ts and run in WebKitGTK too
 * (e2e/webkit/core.test.ts).
 */
import { BACKUP } from './core/backup';
import { registerCore } from './support/test';

registerCore(BACKUP);
