import { describe, expect, it } from 'vitest';
import { releaseVersion } from './build';

describe('releaseVersion (the version written into the manifest)', () => {
  it('is STRONGROOM_RELEASE_VERSION when set', () => {
    expect(releaseVersion({ STRONGROOM_RELEASE_VERSION: '1.4.2' })).toBe('1.4.2');
    expect(releaseVersion({ STRONGROOM_RELEASE_VERSION: '2.0.0-rc.1' })).toBe('2.0.0-rc.1');
  });

  it('refuses a value that is not a semantic version (--min-version compares it)', () => {
    for (const bad of ['v1.2.3', '1.2', 'latest', '01.2.3', '1.2.3+build'])
      expect(() => releaseVersion({ STRONGROOM_RELEASE_VERSION: bad })).toThrow(/semantic/);
  });

  it('otherwise comes from the git tag on HEAD, else the enclave package', () => {
    expect(releaseVersion({})).toMatch(/^\d+\.\d+\.\d+/);
  });
});
