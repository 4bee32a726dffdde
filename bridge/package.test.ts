/**
 * What a published `@strongroom/bridge` gives its users: the `exports` map points at built ES
 * modules and declarations that exist, `npm pack` ships them (and no tests), and the entries
 * share one `StrongroomError` class, so `instanceof` works whichever entry an app imports.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBridge } from '../build/build-bridge';

const dir = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as {
  exports: Record<string, { source: string; types: string; default: string }>;
};

beforeAll(async () => {
  await buildBridge();
}, 120_000);

describe('the published bridge package', () => {
  it('has a built module and declarations for every entry of its exports map', () => {
    for (const [entry, targets] of Object.entries(pkg.exports)) {
      expect(Object.keys(targets), entry).toEqual(['source', 'types', 'default']);
      expect(existsSync(`${dir}${targets.default}`), targets.default).toBe(true);
      expect(existsSync(`${dir}${targets.types}`), targets.types).toBe(true);
    }
  });

  it('packs dist and sources, without tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files =
      (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.d.ts',
        'dist/errors.js',
        'package.json',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
  });

  it('imports in plain Node from dist, with one StrongroomError class across entries', async () => {
    const index = (await import(`${dir}dist/index.js`)) as typeof import('./src/index');
    const errors = (await import(`${dir}dist/errors.js`)) as typeof import('./src/errors');
    const protocol = (await import(`${dir}dist/protocol.js`)) as typeof import('./src/protocol');
    expect(typeof index.connect).toBe('function');
    expect(index.ERROR_CODES).toContain('KEY_NOT_FOUND');
    expect(protocol.OPERATION_NAMES).toContain('sign');
    const err = new errors.StrongroomError('KEY_NOT_FOUND', 'no such key');
    expect(err).toBeInstanceOf(index.StrongroomError);
    expect(index.isStrongroomError(err, 'KEY_NOT_FOUND')).toBe(true);
  });
});
