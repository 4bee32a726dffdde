import { describe, expect, it } from 'vitest';
import { releaseConfig } from './build';

describe('releaseConfig (strongroom.config.json of a release build)', () => {
  it('keeps the documented members', () => {
    const config = {
      allowedOrigins: ['https://app.example'],
      rateLimits: { keyUsesPerMinute: 10 },
      consentTimeoutMs: 30_000,
      consentOnFirstConnection: true,
    };
    expect(releaseConfig(config)).toEqual(config);
    expect(releaseConfig({ allowedOrigins: ['https://app.example'] })).toEqual({
      allowedOrigins: ['https://app.example'],
    });
  });

  it('refuses dev (it would compile the test seams into a release), and any other member', () => {
    for (const key of ['dev', 'outDir', 'sourceRoot', 'auditOff', 'allowedorigins']) {
      expect(() => releaseConfig({ allowedOrigins: ['https://app.example'], [key]: true })).toThrow(
        new RegExp(`"${key}" is not a release build option`),
      );
    }
  });

  it('refuses a file that is not a JSON object', () => {
    for (const raw of [null, [], 'x', 3]) expect(() => releaseConfig(raw)).toThrow(/JSON object/);
  });
});
