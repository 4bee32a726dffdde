/**
 * Every command works in a checkout whose path has a space and a non-ASCII character. The
 * entry-point check used to compare the percent-encoded `import.meta.url` with the raw
 * `process.argv[1]`, so `npm run build`, `npm start` and the test build did nothing and exited 0
 * there. This copies what the commands need into such a folder and runs them.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMain } from './is-main';
import { ROOT } from './vite-enclave';

const base = mkdtempSync(join(tmpdir(), 'strongroom-is-main-'));
/** The copied checkout: a space and a non-ASCII character in its path. */
const checkout = join(base, 'my projects', 'strongroom é');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [TSX, ...args], {
    cwd: checkout,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
}

beforeAll(() => {
  mkdirSync(checkout, { recursive: true });
  for (const name of [
    'build',
    'scripts',
    'bridge/src',
    'e2e/support',
    'enclave/src/lib',
    'host-demo/server',
  ]) {
    cpSync(join(ROOT, name), join(checkout, name), {
      recursive: true,
      filter: (src) => !src.includes(`${join(ROOT, 'bridge/dist')}`),
    });
  }
  for (const name of [
    'package.json',
    'tsconfig.base.json',
    'strongroom.config.json',
    'bridge/package.json',
    'bridge/tsconfig.build.json',
  ]) {
    cpSync(join(ROOT, name), join(checkout, name));
  }
  for (const name of ['bridge/README.md', 'bridge/LICENSE', 'bridge/CHANGELOG.md']) {
    if (existsSync(join(ROOT, name))) cpSync(join(ROOT, name), join(checkout, name));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('isMain', () => {
  it('matches the script it was started with, in a path with a space and é', () => {
    const script = join(checkout, 'scripts', 'x.ts');
    writeFileSync(script, '');
    const url = pathToFileURL(script).href;
    expect(url).toContain('my%20projects/strongroom%20%C3%A9/');
    expect(isMain(url, script)).toBe(true);
    expect(isMain(url, script.slice(0, -'.ts'.length))).toBe(true);
    expect(isMain(url, join(checkout, 'scripts', 'y.ts'))).toBe(false);
    expect(isMain(url, undefined)).toBe(false);
    expect(isMain('data:text/javascript,', script)).toBe(false);
  });

  it('is the one entry-point check: no command compares import.meta.url with a path', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!['node_modules', 'dist'].includes(entry.name)) walk(path);
        } else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
          if (/import\.meta\.url\s*===/.test(readFileSync(path, 'utf8'))) {
            offenders.push(relative(ROOT, path));
          }
        }
      }
    };
    for (const dir of ['build', 'scripts', 'bench', 'bridge', 'e2e']) walk(join(ROOT, dir));
    expect(offenders).toEqual([]);
  });
});

describe('commands in a checkout at a path with a space and a non-ASCII character', () => {
  it('npm run build:bridge builds there', () => {
    const result = run(['build/build-bridge.ts']);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('built bridge/dist');
    expect(existsSync(join(checkout, 'bridge/dist/index.js'))).toBe(true);
    expect(existsSync(join(checkout, 'bridge/dist/index.d.ts'))).toBe(true);
  }, 180_000);

  it('npm run build runs there (a bad allowlist fails it, instead of a silent exit 0)', () => {
    const result = run(['build/build.ts'], { STRONGROOM_ALLOWED_ORIGINS: 'https://*.example' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('contains a wildcard');
  }, 60_000);

  it('npm start runs there (--help prints the options)', () => {
    const result = run(['scripts/start.ts', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: npm start');
  }, 60_000);

  it('the test build and the test servers run there (a bad option of theirs is reported)', () => {
    // Both read STRONGROOM_E2E_BUILD_DIR relative to the checkout: an absolute one is refused
    // only once their main block runs, so a silent exit 0 means it did not run.
    for (const script of ['scripts/build-test.ts', 'scripts/serve-test.ts']) {
      const result = run([script], { STRONGROOM_E2E_BUILD_DIR: '/nonexistent/../bad' });
      expect(result.status, script).not.toBe(0);
      expect(result.stderr, script).toContain('STRONGROOM_E2E_BUILD_DIR');
    }
  }, 120_000);

  it('the release tools run there (an unknown option is reported)', () => {
    const result = run(['build/release/manifest-cli.ts', '--bogus']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('release:manifest:');
  }, 60_000);
});
