/**
 * The core e2e suites (`e2e/core/`: handshake and its refusals, keys per algorithm with
 * persistence across a reload, sign/verify, seal/open, the hostile client, origin binding,
 * partitioning) in WebKitGTK, in both topologies — the same bodies the Playwright specs run in
 * Chromium and Firefox. Each test gets a fresh WebKit session, so fresh (in-memory) storage,
 * as each Playwright test gets a fresh context. The servers come from `global-setup.ts`.
 */
import { describe, it } from 'vitest';
import type { Topology } from '../../scripts/topology';
import { AUDIT } from '../core/audit';
import { BACKUP } from '../core/backup';
import { CONSENT } from '../core/consent';
import { HANDSHAKE } from '../core/handshake';
import { HOSTILE } from '../core/hostile';
import { KEYS } from '../core/keys';
import { LIFECYCLE } from '../core/lifecycle';
import { MIGRATION } from '../core/migration';
import { ORIGIN_BINDING } from '../core/origin-binding';
import { PARTITIONING } from '../core/partitioning';
import { POLICY } from '../core/policy';
import { type CoreSuite, skipReason } from '../core/suite';
import { VAULT } from '../core/vault';
import { findWebKit } from './find-webkit';
import { runCoreTest } from './run-core';

const SUITES: readonly CoreSuite[] = [
  ...HANDSHAKE,
  ...KEYS,
  ...HOSTILE,
  ...ORIGIN_BINDING,
  ...PARTITIONING,
  ...POLICY,
  ...MIGRATION,
  ...CONSENT,
  ...VAULT,
  ...BACKUP,
  ...AUDIT,
  ...LIFECYCLE,
];
const TOPOLOGIES: readonly Topology[] = ['cross-site', 'same-site'];
const available = findWebKit().ok;

for (const topology of TOPOLOGIES) {
  describe.skipIf(!available)(`webkit ${topology}`, () => {
    for (const suite of SUITES) {
      describe(suite.describe, () => {
        for (const t of suite.tests) {
          it.skipIf(skipReason(t, 'webkit', topology) !== null)(
            t.name,
            () => runCoreTest(t, topology),
            t.timeoutMs,
          );
        }
      });
    }
  });
}
