/**
 * The dev-only seams (loopback http VAPID audiences, the `dev:force-wrap-at-rest` probe
 * override, the `dev:clock-offset` policy clock, the `dev:fail-migration` failure midway of a
 * vault migration, the `dev:audit-limits` lowered retention, creation and origin-use limits,
 * the `dev:fail-update` failure after a key record's write, the `dev:throw-in-worker` error
 * in the worker after its start, the `dev:pause-add` pause before a key's write, the
 * `dev:probe-extractable` channel; every `'dev:…'` name in the sources), the start-up marks
 * `info().devBoot` reports) must not exist in a release build: build the enclave both ways and
 * look.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * Every `'dev:…'` name in the enclave's sources (tests excepted): a seam added later is
 * checked without anyone remembering to list it here.
 */
async function seamNames(): Promise<string[]> {
  const root = dirname(fileURLToPath(import.meta.url));
  const files = (await readdir(root, { recursive: true })).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
  );
  const names = new Set<string>();
  for (const file of files) {
    const text = await readFile(join(root, file), 'utf8');
    for (const m of text.matchAll(/'(dev:[a-z][a-z-]*)'/g)) if (m[1]) names.add(m[1]);
  }
  return [...names].sort();
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('dev-only seams', () => {
  describe('when the enclave is built for release (dev: false)', () => {
    it('contains no probe override, no clock seam and no dev build flag', {
      timeout: 120_000,
    }, async () => {
      const seams = await seamNames();
      // The control for the scan: the seams known when this was written are all found.
      expect(seams).toEqual(
        expect.arrayContaining([
          'dev:audit-limits',
          'dev:clock-offset',
          'dev:consent-first-connection',
          'dev:fail-migration',
          'dev:fail-update',
          'dev:force-wrap-at-rest',
          'dev:pause-add',
          'dev:probe-extractable',
          'dev:throw-in-worker',
        ]),
      );
      const release = await bundleText(false);
      for (const seam of seams) expect(release, seam).not.toContain(seam);
      expect(release).not.toContain('devBoot');
      expect(release).not.toContain('strongroom:dev-boot-marks');
      const dev = await bundleText(true);
      // The control: the seams are there in a dev build, so the checks above mean something.
      for (const seam of seams) expect(dev, seam).toContain(seam);
      expect(dev).toContain('devBoot');
      expect(dev).toContain('strongroom:dev-boot-marks');
    });
  });
});
