/**
 * Reproducibility (issue 5, "Build" 1): two copies of the sources in two directories of
 * different depth, built one after the other with `npm run build`'s entry point under another
 * time zone, locale and file times, give identical bytes for every file of `dist/enclave`,
 * `dist/release` (the manifest, release digest included) and `dist/deploy`.
 *
 * The copies hold the repository's files (tracked, and new ones that git does not ignore) as they
 * are in the working tree, so the test checks the code being changed, not the last commit. Dependencies are shared: each copy gets
 * its own `node_modules` of symlinks into this checkout's, except the workspace packages, which
 * point into the copy itself (as `npm ci` would lay them out).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from './release/manifest';
import { ROOT } from './vite-enclave';

const WORKSPACES = ['bridge', 'enclave', 'host-demo'];
const OUTPUTS = ['dist/enclave', 'dist/release', 'dist/deploy'];

let work: string;

/** Copy the working tree's files (not ignored ones) into `dest`, with a node_modules of links. */
async function copySources(dest: string, mtime: Date): Promise<void> {
  // Tracked files, and new ones not yet added (but not ignored): the tree as it will be committed.
  const tracked = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter((p) => p !== '' && existsSync(join(ROOT, p)));
  for (const path of tracked) {
    const to = join(dest, path);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(join(ROOT, path), to);
    await utimes(to, mtime, mtime);
  }
  const modules = join(dest, 'node_modules');
  await mkdir(join(modules, '@strongroom'), { recursive: true });
  for (const entry of await readdir(join(ROOT, 'node_modules'))) {
    if (entry === '@strongroom' || entry === '.vite') continue;
    await symlink(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  for (const ws of WORKSPACES) {
    await symlink(join('..', '..', ws), join(modules, '@strongroom', ws));
  }
}

/** Run the build entry point in `dir`, as `npm run build` does. */
async function build(dir: string, env: Record<string, string>): Promise<void> {
  const { STRONGROOM_ALLOWED_ORIGINS: _ignored, ...inherited } = process.env;
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'build/build.ts'],
    { cwd: dir, env: { ...inherited, ...env }, timeout: 90_000 },
  );
}

/** sha256 of every output file, keyed by path relative to the copy. */
async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const folder of OUTPUTS) {
    for (const path of await listFiles(join(dir, folder))) {
      const bytes = await readFile(join(dir, folder, path));
      out[`${folder}/${path}`] = createHash('sha256').update(bytes).digest('hex');
    }
  }
  return out;
}

describe('npm run build', () => {
  let a: string;
  let b: string;
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'strongroom-repro-'));
    a = join(work, 'a');
    b = join(work, 'b', 'deeper', 'checkout');
    await copySources(a, new Date());
    await copySources(b, new Date('2001-02-03T04:05:06Z'));
  }, 60_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('when built twice from two directories, at different times and time zones', () => {
    it('produces identical bytes for every file, manifest and index.html included', async () => {
      await build(a, { STRONGROOM_COMMIT: commit, TZ: 'UTC', LANG: 'C', LC_ALL: 'C' });
      await build(b, {
        STRONGROOM_COMMIT: commit,
        TZ: 'Pacific/Kiritimati',
        LANG: 'de_DE.UTF-8',
        LC_ALL: 'de_DE.UTF-8',
      });
      const [ha, hb] = [await hashes(a), await hashes(b)];
      expect(relative(a, b)).not.toBe('');
      expect(Object.keys(ha)).toContain('dist/enclave/index.html');
      expect(Object.keys(ha)).toContain('dist/release/manifest.json');
      expect(Object.keys(ha).some((p) => /^dist\/enclave\/assets\/worker-/.test(p))).toBe(true);
      expect(hb).toEqual(ha);
    }, 120_000);
  });
});
