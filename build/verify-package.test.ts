/**
 * `strongroom-verify` as auditors get it: the `@strongroom/verify` package is compiled JavaScript
 * (no `tsx` at run time) whose only imports are Node built-ins and its declared dependencies,
 * and its packed tarball runs through `npx` in a folder outside this repository — `--help`, and
 * a real audit of a signed release folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, makeRelease, p256 } from '../scripts/verify/test-fixtures';
import { buildVerify, verifyPackage } from './build-verify';
import { signManifest } from './release/sign';
import { ROOT } from './vite-enclave';

const pkg = JSON.parse(readFileSync(`${ROOT}verify/package.json`, 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
  files: string[];
};
const rootPkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

/** Outside the repository: nothing of it (its node_modules, tsx) can be resolved from there. */
const outside = mkdtempSync(join(tmpdir(), 'strongroom-verify-pkg-'));
let tarball = '';
let imports: string[] = [];

beforeAll(async () => {
  ({ imports } = await buildVerify());
  const out = execFileSync(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', outside],
    { cwd: `${ROOT}verify`, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  tarball = join(outside, packed?.filename ?? '');
}, 180_000);

afterAll(() => {
  rmSync(outside, { recursive: true, force: true });
});

/** `npx` the packed tarball from the folder outside the repository (npm's cache, no network). */
function npx(args: string[]) {
  return spawnSync(
    'npx',
    ['--yes', '--prefer-offline', '--package', tarball, 'strongroom-verify', ...args],
    {
      cwd: outside,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
    },
  );
}

describe('the @strongroom/verify package', () => {
  it('is compiled JavaScript whose bare imports are its declared dependencies', () => {
    const cli = readFileSync(`${ROOT}verify/dist/cli.js`, 'utf8');
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(cli).not.toMatch(/\btsx\b/);
    expect(imports.length).toBeGreaterThan(0);
    for (const id of imports) {
      expect(Object.keys(pkg.dependencies), id).toContain(
        id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : (id.split('/')[0] ?? ''),
      );
    }
    const bare = [...cli.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1] ?? '');
    expect(bare.filter((id) => !id.startsWith('node:') && !imports.includes(id))).toEqual([]);
  });

  it('declares what a published CLI needs: bin, engines, the same versions as this repository', () => {
    expect(pkg.bin).toEqual({ 'strongroom-verify': 'dist/cli.js' });
    expect(pkg.engines.node).toBe(rootPkg.engines.node);
    expect(verifyPackage().version).toBe(pkg.version);
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      expect(rootPkg.devDependencies[name], name).toBe(range);
    }
  });

  it('packs the CLI, README and LICENSE, and nothing else', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(list).toEqual([
      'package/LICENSE',
      'package/README.md',
      'package/dist/cli.js',
      'package/package.json',
    ]);
  });

  it('runs with npx from the tarball outside the repository: --help', () => {
    const result = npx(['--help']);
    expect(result.stderr).not.toMatch(/ERR_|Cannot find/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: strongroom-verify');
    expect(result.stdout).toContain('examples:');
  }, 240_000);

  it('runs with npx from the tarball outside the repository: audits a signed folder', async () => {
    const release = await makeRelease();
    try {
      const key = p256();
      const bundle = await signManifest(bytesOf(release), {
        kind: 'key',
        privateKeyPem: key.privateKeyPem,
      });
      const bundlePath = join(release.root, 'bundle.json');
      const keyPath = join(release.root, 'pub.pem');
      writeFileSync(bundlePath, JSON.stringify(bundle));
      writeFileSync(keyPath, key.publicKeyPem);
      const args = ['--dir', release.dir, '--manifest', release.manifestPath];
      const ok = npx([...args, '--bundle', bundlePath, '--key', keyPath]);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout.trim().split('\n').at(-1)).toMatch(/^PASS: .* holds strongroom 0\.1\.0/);

      writeFileSync(join(release.dir, 'assets', 'main-1a2b.js'), 'stealKeys();\n');
      const tampered = npx([...args, '--bundle', bundlePath, '--key', keyPath]);
      expect(tampered.status).toBe(1);
      expect(tampered.stdout).toMatch(/^file\s+assets\/main-1a2b\.js .*MISMATCH$/m);

      writeFileSync(join(release.root, 'key.pem'), key.privateKeyPem);
      const privateKey = npx([
        ...args,
        '--bundle',
        bundlePath,
        '--key',
        join(release.root, 'key.pem'),
      ]);
      expect(privateKey.status).toBe(2);
      expect(privateKey.stderr).toContain('is a PRIVATE key');
    } finally {
      rmSync(release.root, { recursive: true, force: true });
    }
  }, 240_000);
});
