/**
 * Release archives and the bridge tarball are byte-identical whether the files were written
 * under umask 022 or 077 (the modes are forced), and the same bytes twice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
