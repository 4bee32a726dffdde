/**
 * The release's own version: from `STRONGROOM_RELEASE_VERSION`, else the git tag on HEAD, else
 * the enclave package's — and compiled into the enclave, so that `info().version` is the
 * manifest's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRelease, releaseVersion } from './build';
import { enclaveVersion } from './vite-enclave';

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function temp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A git repository with one commit, tagged `tag` when given. */
async function repo(tag?: string): Promise<string> {
  const dir = await temp('strongroom-release-version-');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
  git('init', '--quiet');
  await writeFile(join(dir, 'f'), 'x');
  git('add', 'f');
  git('commit', '--quiet', '--no-gpg-sign', '-m', 'one');
  if (tag) git('tag', tag);
  return dir;
}

describe('releaseVersion (the version written into the manifest)', () => {
  it('is STRONGROOM_RELEASE_VERSION when set', () => {
    expect(releaseVersion({ STRONGROOM_RELEASE_VERSION: '1.4.2' })).toBe('1.4.2');
    expect(releaseVersion({ STRONGROOM_RELEASE_VERSION: '2.0.0-rc.1' })).toBe('2.0.0-rc.1');
  });

  it('refuses a value that is not a semantic version (--min-version compares it)', () => {
    for (const bad of ['v1.2.3', '1.2', 'latest', '01.2.3', '1.2.3+build'])
      expect(() => releaseVersion({ STRONGROOM_RELEASE_VERSION: bad })).toThrow(/semantic/);
  });

  it('otherwise comes from the git tag on HEAD, without its v', async () => {
    expect(releaseVersion({}, await repo('v3.4.5'))).toBe('3.4.5');
    expect(releaseVersion({}, await repo('7.0.1-rc.2'))).toBe('7.0.1-rc.2');
  });

  it('refuses a tag on HEAD that is not a semantic version', async () => {
    const dir = await repo('release-1');
    expect(() => releaseVersion({}, dir)).toThrow(/semantic/);
  });

  it('else is the enclave package version (HEAD not tagged)', async () => {
    expect(releaseVersion({}, await repo())).toBe(enclaveVersion());
  });
});

describe('the release build', () => {
  it('compiles the release version into the enclave (info().version) and the manifest', async () => {
    const dist = await temp('strongroom-release-build-');
    const previous = process.env.STRONGROOM_RELEASE_VERSION;
    // Not the enclave package's version, so that a build that ignores it shows.
    const version = '9.8.7-test.1';
    expect(version).not.toBe(enclaveVersion());
    process.env.STRONGROOM_RELEASE_VERSION = version;
    try {
      await buildRelease(dist);
    } finally {
      if (previous === undefined) delete process.env.STRONGROOM_RELEASE_VERSION;
      else process.env.STRONGROOM_RELEASE_VERSION = previous;
    }
    const manifest = JSON.parse(await readFile(join(dist, 'release', 'manifest.json'), 'utf8'));
    expect(manifest.version).toBe(version);
    const assets = join(dist, 'enclave', 'assets');
    const scripts = (await readdir(assets)).filter((f) => f.endsWith('.js'));
    const texts = await Promise.all(scripts.map((f) => readFile(join(assets, f), 'utf8')));
    // The minifier quotes string constants with backticks.
    const literal = (v: string) => new RegExp(`[\`"']${v.replaceAll('.', '\\.')}[\`"']`);
    expect(texts.some((t) => literal(version).test(t))).toBe(true);
    expect(texts.some((t) => literal(enclaveVersion()).test(t))).toBe(false);
  }, 180_000);
});
