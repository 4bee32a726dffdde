/**
 * The enclave iframe's `allow` attribute: WebAuthn delegated to the enclave's exact origin
 * (never `*`, never another feature), for the passkey unlock of vault mode.
 */
import { describe, expect, it } from 'vitest';
import { enclaveAllow } from './connect';

describe('enclaveAllow', () => {
  it('delegates the two WebAuthn features to the enclave origin only', () => {
    expect(enclaveAllow('https://kms.example')).toBe(
      'publickey-credentials-get https://kms.example; publickey-credentials-create https://kms.example',
    );
    expect(enclaveAllow('https://kms.example')).not.toMatch(/\*|'self'|'src'/);
  });
});
