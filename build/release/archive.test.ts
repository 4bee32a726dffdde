/**
 * Release archives and the bridge tarball are byte-identical whether the files were written
 * under umask 022 or 077 (the modes are forced), and the same bytes twice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../vite-enclave';
import { archiveRelease, packPackage } from './archive';
import { sha256Hex } from './digest';

const work = mkdtempSync(join(tmpdir(), 'strongroom-archive-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run `script` in `sh` under `umask`, in `cwd`. */
function underUmask(umask: string, script: string, cwd = work): void {
  execFileSync('sh', ['-c', `umask ${umask}; ${script}`], { cwd });
}

const digest = (path: string) => sha256Hex(readFileSync(path));

describe('archiveRelease', () => {
  it('gives the same bytes under umask 022 and 077', () => {
    for (const umask of ['022', '077']) {
      underUmask(
        umask,
        `mkdir -p u${umask}/enclave/assets && printf '<!doctype html>' > u${umask}/enclave/index.html && printf 'x' > u${umask}/enclave/assets/a.js`,
      );
      archiveRelease(join(work, `u${umask}`, 'enclave'), join(work, `enclave-${umask}.tar.gz`));
    }
    const listing = execFileSync('tar', ['tvzf', join(work, 'enclave-077.tar.gz')], {
      encoding: 'utf8',
    });
    expect(listing).toMatch(/^drwxr-xr-x 0\/0 .* enclave\/$/m);
    expect(listing).toMatch(/^-rw-r--r-- 0\/0 .* enclave\/index\.html$/m);
    expect(digest(join(work, 'enclave-077.tar.gz'))).toBe(digest(join(work, 'enclave-022.tar.gz')));
  });

  it('the former command (no --mode) differs under umask 077: what this fixes', () => {
    for (const umask of ['022', '077']) {
      underUmask(
        '022',
        `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C u${umask} -cf - enclave | gzip -n > old-${umask}.tar.gz`,
      );
    }
    expect(digest(join(work, 'old-077.tar.gz'))).not.toBe(digest(join(work, 'old-022.tar.gz')));
  });
});

const BRIDGE = `${ROOT}bridge`;

describe.skipIf(!existsSync(`${BRIDGE}/dist/index.js`))('packPackage (the bridge tarball)', () => {
  it('gives the same bytes from copies written under umask 022 and 077', () => {
    const tarballs: string[] = [];
    for (const umask of ['022', '077']) {
      const copy = join(work, `bridge-${umask}`);
      underUmask(
        umask,
        `mkdir -p "${copy}" "${copy}-out" && cp -r --no-preserve=mode "${BRIDGE}/package.json" "${BRIDGE}/README.md" "${BRIDGE}/CHANGELOG.md" "${BRIDGE}/LICENSE" "${BRIDGE}/dist" "${copy}/"`,
      );
      tarballs.push(packPackage(copy, `${copy}-out`));
    }
    const [a, b] = tarballs.map(digest);
    expect(a).toBe(b);
    const listing = execFileSync('tar', ['tvzf', tarballs[1] ?? ''], { encoding: 'utf8' });
    expect(listing).not.toMatch(/^-rw-------/m);
  }, 60_000);

  it('control: a plain npm pack of the same copies differs (what packPackage fixes)', () => {
    const tarballs: string[] = [];
    for (const umask of ['022', '077']) {
      // The copies the test above wrote under each umask.
      const copy = join(work, `bridge-${umask}`);
      mkdirSync(`${copy}-plain`, { recursive: true });
      const out = execFileSync(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', `${copy}-plain`],
        { cwd: copy, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } },
      );
      const [packed] = JSON.parse(out) as { filename: string }[];
      tarballs.push(join(`${copy}-plain`, packed?.filename ?? ''));
    }
    const [a, b] = tarballs.map(digest);
    expect(a).not.toBe(b);
  }, 60_000);
});

describe('the documented packing path', () => {
  it('npm run pack:bridge and the release workflow (both builds) pack the bridge with packPackage', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['pack:bridge']).toMatch(
      /&& tsx build\/release\/archive\.ts pack bridge dist\/release$/,
    );
    const workflow = readFileSync(`${ROOT}.github/workflows/release.yml`, 'utf8');
    // Once under umask 022, once in the umask-077 rebuild whose dist/release is compared.
    expect(workflow.match(/^ +npm run pack:bridge$/gm)).toHaveLength(2);
    expect(workflow).toContain('dist/release/strongroom-bridge-*.tgz');
    expect(workflow).not.toMatch(/^ +(npm|npx) pack\b/m);
  });

  it('packs the verifier the same way, and the workflow publishes exactly the compared tarballs', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['pack:verify']).toMatch(
      /^tsx build\/build-verify\.ts && tsx build\/release\/archive\.ts pack verify dist\/release$/,
    );
    const workflow = readFileSync(`${ROOT}.github/workflows/release.yml`, 'utf8');
    expect(workflow.match(/^ +npm run pack:verify$/gm)).toHaveLength(2);
    // Published from the tarballs of the build job, never rebuilt or re-packed.
    const npmJob = workflow.slice(workflow.indexOf('\n  npm:\n'));
    expect(npmJob).toContain('id-token: write');
    expect(npmJob).toContain(
      'for tarball in dist/release/strongroom-bridge-*.tgz dist/release/strongroom-verify-*.tgz; do',
    );
    expect(npmJob).toContain('npm publish "$tarball" --provenance --access public');
    expect(npmJob).not.toMatch(/npm (ci|install|run)\b/);
    // The packages must be of the tag's version.
    expect(workflow).toContain("require('./$pkg/package.json').version");
  });

  it('packs into a destination folder that does not exist yet', () => {
    const copy = join(work, 'bridge-022');
    const fresh = join(work, 'not', 'yet', 'there');
    const tarball = packPackage(copy, fresh);
    expect(tarball.startsWith(fresh)).toBe(true);
    expect(digest(tarball)).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);
});
