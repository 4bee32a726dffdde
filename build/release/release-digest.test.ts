/**
 * The release digest is computed twice, by the release tooling over the files and by the
 * enclave at run time over the pins it enforced: both must give the same value, and the
 * auditor's `jq … | sha256sum` recipe (docs/verification.md) must too.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { releaseDigestOf, releasePathOf } from '../../enclave/src/release-digest';
import { releaseDigest } from './release-digest';

// FIPS 180-2 D.1 ("abc") and the sha384 of "" — any valid SRI strings do.
const A = 'sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn';
const B = 'sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb';
const FILES = [
  { path: 'index.html', sha384: A },
  { path: 'assets/worker-2.js', sha384: B },
  { path: 'assets/index-1.js', sha384: A },
];

describe('releaseDigest', () => {
  it('is sha256 of the canonical JSON of every file sorted by path, index.html included', () => {
    const json = `[{"path":"assets/index-1.js","sha384":"${A}"},{"path":"assets/worker-2.js","sha384":"${B}"},{"path":"index.html","sha384":"${A}"}]`;
    expect(releaseDigest(FILES)).toBe(createHash('sha256').update(json).digest('hex'));
  });

  it('does not depend on the order of the files', () => {
    expect(releaseDigest([...FILES].reverse())).toBe(releaseDigest(FILES));
  });

  describe('when one pin changes, index.html included', () => {
    it.each(FILES.map((f) => f.path))('%s changes it', (path) => {
      const other = FILES.map((f) =>
        f.path === path ? { ...f, sha384: f.sha384 === A ? B : A } : f,
      );
      expect(releaseDigest(other)).not.toBe(releaseDigest(FILES));
    });
  });

  describe('when the enclave computes it at run time', () => {
    it('gives the same value', async () => {
      expect(await releaseDigestOf(FILES)).toBe(releaseDigest(FILES));
    });
  });
});

describe('releasePathOf', () => {
  it.each([
    ['./assets/a.js', 'https://kms.example/', 'assets/a.js'],
    ['https://kms.example/assets/a.js', 'https://kms.example/index.html?x=1', 'assets/a.js'],
    ['https://kms.example/e/assets/a.js', 'https://kms.example/e/', 'assets/a.js'],
    ['https://cdn.example/assets/a.js', 'https://kms.example/', 'https://cdn.example/assets/a.js'],
    ['/assets/a.js', 'https://kms.example/e/', 'https://kms.example/assets/a.js'],
  ])('%s against %s is %s', (url, base, expected) => {
    expect(releasePathOf(url, base)).toBe(expected);
  });
});
