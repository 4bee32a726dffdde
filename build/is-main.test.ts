/**
 * Every command works in a checkout whose path has a space and a non-ASCII character. The
 * entry-point check used to compare the percent-encoded `import.meta.url` with the raw
 * `process.argv[1]`, so `npm run build`, `npm start` and the test build did nothing and exited 0
 * there. This copies every tracked file into such a folder and runs them there: `npm run build`
 * builds the enclave and its manifest, `npm start` serves both origins, the others start.
 */
import { spawn, spawnSync } from 'node:child_process';
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
import { dirname, join, relative } from 'node:path';
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
  // A checkout: every file git tracks (what a clone has), and the installed dependencies.
  const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  expect(tracked.status).toBe(0);
  for (const file of tracked.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree, not committed
    mkdirSync(dirname(join(checkout, file)), { recursive: true });
    cpSync(join(ROOT, file), join(checkout, file));
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

  it('npm run build builds the enclave and its release manifest there', () => {
    // Not a git checkout: the copy says which commit it is, as a source tarball would.
    const result = run(['build/build.ts'], { STRONGROOM_COMMIT: 'f'.repeat(40) });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('built dist/enclave');
    expect(existsSync(join(checkout, 'dist/enclave/index.html'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(checkout, 'dist/release/manifest.json'), 'utf8'));
    expect(manifest.commit).toBe('f'.repeat(40));
  }, 180_000);

  it('npm start runs there (--help prints the options)', () => {
    const result = run(['scripts/start.ts', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: npm start');
  }, 60_000);

  it('npm start serves the demo app and the enclave there', async () => {
    const child = spawn(
      process.execPath,
      [TSX, 'scripts/start.ts', '--host-port', '6981', '--enclave-port', '6982'],
      { cwd: checkout, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      const deadline = Date.now() + 170_000;
      while (!out.includes('Ctrl-C stops') && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain('Ctrl-C stops');
      const app = /app: +(\S+)/.exec(out)?.[1] ?? '';
      const enclave = /enclave: +(\S+)/.exec(out)?.[1] ?? '';
      expect(app).toBe('http://127.0.0.1:6981/');
      expect(enclave).toBe('http://localhost:6982/');
      for (const url of [app, enclave]) {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
        expect(await res.text(), url).toContain('<html');
      }
    } finally {
      child.kill('SIGTERM');
    }
  }, 180_000);

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
