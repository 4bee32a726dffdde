/**
 * The dev-only seams (loopback http VAPID audiences, the `dev:force-wrap-at-rest` probe
 * override, the `dev:clock-offset` policy clock, the `dev:fail-migration` failure midway of a
 * vault migration, the `dev:audit-limits` lowered retention, creation and origin-use limits,
 * the `dev:fail-update` failure after a key record's write, the `dev:throw-in-worker` error
 * in the worker after its start, the start-up marks
 * `info().devBoot` reports) must not exist in a release build: build the enclave both ways and
 * look.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEnclave } from '../../build/vite-enclave';

const dirs: string[] = [];

async function bundleText(dev: boolean): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'strongroom-seams-'));
  dirs.push(outDir);
  await buildEnclave({ allowedOrigins: ['https://app.example'], outDir, dev });
  const assets = await readdir(join(outDir, 'assets'));
  const texts = await Promise.all(
    assets.filter((f) => f.endsWith('.js')).map((f) => readFile(join(outDir, 'assets', f), 'utf8')),
  );
  return texts.join('\n');
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('dev-only seams', () => {
  describe('when the enclave is built for release (dev: false)', () => {
    it('contains no probe override, no clock seam and no dev build flag', {
      timeout: 120_000,
    }, async () => {
      const release = await bundleText(false);
      expect(release).not.toContain('dev:force-wrap-at-rest');
      expect(release).not.toContain('dev:clock-offset');
      expect(release).not.toContain('dev:consent-first-connection');
      expect(release).not.toContain('dev:audit-limits');
      expect(release).not.toContain('dev:fail-update');
      expect(release).not.toContain('dev:fail-migration');
      expect(release).not.toContain('dev:throw-in-worker');
      expect(release).not.toContain('devBoot');
      expect(release).not.toContain('strongroom:dev-boot-marks');
      const dev = await bundleText(true);
      // The control: the seams are there in a dev build, so the checks above mean something.
      expect(dev).toContain('dev:force-wrap-at-rest');
      expect(dev).toContain('dev:clock-offset');
      expect(dev).toContain('dev:consent-first-connection');
      expect(dev).toContain('dev:audit-limits');
      expect(dev).toContain('dev:fail-update');
      expect(dev).toContain('dev:fail-migration');
      expect(dev).toContain('dev:throw-in-worker');
      expect(dev).toContain('devBoot');
      expect(dev).toContain('strongroom:dev-boot-marks');
    });
  });
});
