/**
 * Keystores of schema 1 and 2 open under the current schema by the documented rule. The bodies live in
 * e2e/core/migration.ts and run in WebKitGTK too (e2e/webkit/core.test.ts).
 */
import { MIGRATION } from './core/migration';
import { registerCore } from './support/test';

registerCore(MIGRATION);
