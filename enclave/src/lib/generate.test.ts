import { describe, expect, it } from 'vitest';
import { GENERATE_ATTEMPTS, generateKeyRetrying, retrying } from './generate';

describe('retrying', () => {
  it('returns the first success after transient failures', async () => {
    let calls = 0;
    const value = await retrying(async () => {
      calls += 1;
      if (calls < GENERATE_ATTEMPTS) throw new DOMException('transient', 'OperationError');
      return 'key';
    });
    expect(value).toBe('key');
    expect(calls).toBe(GENERATE_ATTEMPTS);
  });

  it('rejects with the last failure once the attempts are used up, and tries no more', async () => {
    let calls = 0;
    await expect(
      retrying(async () => {
        calls += 1;
        throw new Error(`failure ${calls}`);
      }),
    ).rejects.toThrow(`failure ${GENERATE_ATTEMPTS}`);
    expect(calls).toBe(GENERATE_ATTEMPTS);
  });
});

describe('generateKeyRetrying', () => {
  it('generates a real Ed25519 key pair with the asked usages', async () => {
    const pair = (await generateKeyRetrying({ name: 'Ed25519' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    expect(pair.privateKey.extractable).toBe(false);
    expect(pair.privateKey.usages).toEqual(['sign']);
  });

  it('reports a generation the engine refuses every time', async () => {
    await expect(
      generateKeyRetrying({ name: 'AES-GCM', length: 100 } as AesKeyGenParams, false, ['encrypt']),
    ).rejects.toThrow();
  });
});
