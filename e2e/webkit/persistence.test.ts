/**
 * Persistent storage in WebKitGTK, both topologies: the body of e2e/core/persistence.ts (what
 * `info()` reports of the enclave's `navigator.storage.persist()` request), as the Playwright
 * spec runs it in Chromium and Firefox.
 */
import { describe, it } from 'vitest';
import type { Topology } from '../../scripts/topology';
import { PERSISTENCE } from '../core/persistence';
import { findWebKit } from './find-webkit';
import { runCoreTest } from './run-core';

const TOPOLOGIES: readonly Topology[] = ['cross-site', 'same-site'];

for (const topology of TOPOLOGIES) {
  describe.skipIf(!findWebKit().ok)(`webkit ${topology}`, () => {
    for (const suite of PERSISTENCE) {
      describe(suite.describe, () => {
        for (const t of suite.tests) {
          it(t.name, () => runCoreTest(t, topology));
        }
      });
    }
  });
}
