import { describe, expect, it } from 'vitest';
import { isCrossSite, siteOf } from './site';

describe('siteOf / isCrossSite', () => {
  it('treats the two test topologies as the design says', () => {
    expect(isCrossSite('http://127.0.0.1:4701', 'http://localhost:4702')).toBe(true);
    expect(
      isCrossSite('http://app.strongroom.localhost:4701', 'http://kms.strongroom.localhost:4702'),
    ).toBe(false);
  });

  it('ignores ports and compares schemes', () => {
    expect(siteOf('https://kms.app.example:8443')).toBe('https://app.example');
    expect(isCrossSite('https://app.example', 'http://app.example')).toBe(true);
    expect(isCrossSite('http://127.0.0.1:1', 'http://127.0.0.1:2')).toBe(false);
    expect(siteOf('http://[::1]:80')).toBe('http://[::1]');
  });
});
