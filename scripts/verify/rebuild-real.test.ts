/**
 * `--rebuild` for real — no fake CommandRunner: a release is built as the release workflow
 * builds one, from a clean clone of this repository's HEAD with `npm ci --ignore-scripts` and
 * `npm run build`, with an allowlist that is NOT the repository's `strongroom.config.json` (the
 * workflow takes it from `STRONGROOM_ALLOWED_ORIGINS`, a repository variable). The auditor's
 * `strongroom-verify --dir … --rebuild <commit> --repo <this repository>` must PASS with nothing
 * else given: the allowlist comes from the signed manifest. Two clean installs and two vite
 * builds: tens of seconds. Skipped where this is not a git checkout with a commit (stated).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../build/release/manifest';
import { signManifest } from '../../build/release/sign';
import { ROOT } from '../../build/vite-enclave';
import { main } from './main';
import { p256 } from './test-fixtures';

const HEAD = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
const COMMIT = HEAD.status === 0 ? HEAD.stdout.trim() : '';
const FOREIGN = ['https://foreign-app.example', 'https://admin.foreign-app.example'];

const work: string[] = [];
afterAll(async () => {
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!COMMIT)(
  'strongroom-verify --rebuild of a release built with a foreign allowlist',
  () => {
    it('PASSES, with the allowlist taken from the signed manifest', async () => {
      const root = await mkdtemp(join(tmpdir(), 'strongroom-release-build-'));
      work.push(root);
      const src = join(root, 'src');
      // The release build, as .github/workflows/release.yml does it.
      execFileSync('git', ['clone', '--quiet', '--no-local', '--', ROOT, src]);
      execFileSync('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', COMMIT], {
        cwd: src,
      });
      const repoConfig = JSON.parse(
        await readFile(join(src, 'strongroom.config.json'), 'utf8'),
      ) as {
        allowedOrigins: string[];
      };
      expect(repoConfig.allowedOrigins).not.toEqual(FOREIGN);
      execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: src,
        stdio: 'ignore',
      });
      execFileSync('npm', ['run', 'build'], {
        cwd: src,
        stdio: 'ignore',
        env: {
          ...process.env,
          STRONGROOM_ALLOWED_ORIGINS: FOREIGN.join(','),
          STRONGROOM_RELEASE_VERSION: '0.1.0',
        },
      });
      const manifestPath = join(src, 'dist', 'release', 'manifest.json');
      const manifestBytes = await readFile(manifestPath);
      const manifest = parseManifest(manifestBytes);
      expect(manifest.allowedOrigins).toEqual([...FOREIGN].sort());
      expect(manifest.commit).toBe(COMMIT);

      const key = p256();
      const bundlePath = join(root, 'bundle.json');
      const keyPath = join(root, 'pub.pem');
      await writeFile(
        bundlePath,
        JSON.stringify(
          await signManifest(manifestBytes, { kind: 'key', privateKeyPem: key.privateKeyPem }),
        ),
      );
      await writeFile(keyPath, key.publicKeyPem);

      // The auditor: no allowlist given, no environment variable; the real toolchain.
      const previous = process.env.STRONGROOM_ALLOWED_ORIGINS;
      delete process.env.STRONGROOM_ALLOWED_ORIGINS;
      let out = '';
      let code: number;
      try {
        code = await main(
          [
            '--dir',
            join(src, 'dist', 'enclave'),
            '--manifest',
            manifestPath,
            '--bundle',
            bundlePath,
            '--key',
            keyPath,
            '--rebuild',
            COMMIT,
            '--repo',
            ROOT,
            '--json',
          ],
          { out: (t) => (out += t), err: (t) => (out += t) },
        );
      } finally {
        if (previous !== undefined) process.env.STRONGROOM_ALLOWED_ORIGINS = previous;
      }
      const report = JSON.parse(out) as { rows: { check: string; subject: string; ok: boolean }[] };
      expect(report.rows.filter((r) => !r.ok)).toEqual([]);
      expect(code).toBe(0);
      const rebuilt = report.rows.filter((r) => r.check === 'rebuild');
      expect(rebuilt.map((r) => r.subject)).toEqual([`commit of ${COMMIT}`, 'dist/enclave']);
    }, 600_000);
  },
);
