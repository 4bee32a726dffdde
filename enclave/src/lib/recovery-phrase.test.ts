import { StrongroomError } from '@strongroom/bridge/errors';
import { describe, expect, it, vi } from 'vitest';
import { confirmPositions, newRecoveryPhrase, phraseToEntropy } from './recovery-phrase';

function expectInvalid(run: () => unknown, message: RegExp): void {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(StrongroomError);
    expect((err as StrongroomError).code).toBe('INVALID_ARGUMENT');
    expect((err as StrongroomError).message).toMatch(message);
    return;
  }
  expect.fail('expected INVALID_ARGUMENT');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The 256-bit vectors of the BIP-39 reference test vectors (trezor/python-mnemonic
 * `vectors.json`, "english"): entropy and mnemonic (the seeds there use the passphrase
 * "TREZOR" and are not what Strongroom derives from).
 */
const BIP39_VECTORS: ReadonlyArray<readonly [string, string]> = [
  ['00'.repeat(32), `${'abandon '.repeat(23)}art`],
  [
    '7f'.repeat(32),
    'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title',
  ],
  [
    '80'.repeat(32),
    'letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless',
  ],
  ['ff'.repeat(32), `${'zoo '.repeat(23)}vote`],
];

describe('recovery phrases', () => {
  describe('when a new phrase is made', () => {
    it('has 24 words that decode back to its 32 bytes of entropy', () => {
      const { words, entropy } = newRecoveryPhrase();
      expect(words).toHaveLength(24);
      expect(entropy).toHaveLength(32);
      expect(hex(phraseToEntropy(words))).toBe(hex(entropy));
    });
    it('takes its entropy from crypto.getRandomValues', () => {
      const spy = vi.spyOn(crypto, 'getRandomValues');
      try {
        newRecoveryPhrase();
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });
    it('differs each time', () => {
      expect(newRecoveryPhrase().words.join(' ')).not.toBe(newRecoveryPhrase().words.join(' '));
    });
  });

  describe('when a phrase is read', () => {
    it.each(BIP39_VECTORS)('decodes the BIP-39 reference vector %s', (entropy, mnemonic) => {
      expect(hex(phraseToEntropy(mnemonic))).toBe(entropy);
    });
    it('ignores case, extra white space and line breaks, and accepts an array', () => {
      const [, mnemonic] = BIP39_VECTORS[1] ?? ['', ''];
      const messy = `  ${mnemonic.toUpperCase().split(' ').join(' \n\t ')}  `;
      expect(hex(phraseToEntropy(messy))).toBe('7f'.repeat(32));
      expect(hex(phraseToEntropy(mnemonic.split(' ')))).toBe('7f'.repeat(32));
    });
    it('normalises compatibility characters (NFKD): full-width letters', () => {
      const fullWidth = `${'ａｂａｎｄｏｎ '.repeat(23)}art`;
      expect(hex(phraseToEntropy(fullWidth))).toBe('00'.repeat(32));
    });
  });

  describe('when a phrase is wrong', () => {
    it('names the word count', () => {
      expectInvalid(() => phraseToEntropy(`${'abandon '.repeat(11)}about`), /24 words, got 12/);
      expectInvalid(() => phraseToEntropy(''), /got 0/);
    });
    it('names the position of an unknown word, never the word', () => {
      const words = `${'abandon '.repeat(23)}art`.split(' ');
      words[6] = 'strongroom';
      try {
        phraseToEntropy(words);
        expect.fail('expected an error');
      } catch (err) {
        expect(err).toBeInstanceOf(StrongroomError);
        expect((err as StrongroomError).code).toBe('INVALID_ARGUMENT');
        expect((err as StrongroomError).message).toBe(
          'word 7 is not in the BIP-39 English word list',
        );
        expect((err as StrongroomError).message).not.toContain('abandon');
      }
    });
    it('refuses a bad checksum', () => {
      expectInvalid(() => phraseToEntropy(`${'abandon '.repeat(23)}zoo`), /checksum/);
    });
    it('refuses two words swapped (checksum)', () => {
      const words = (BIP39_VECTORS[2]?.[1] ?? '').split(' ');
      [words[0], words[1]] = [words[1] ?? '', words[0] ?? ''];
      expectInvalid(() => phraseToEntropy(words), /checksum/);
    });
    it('refuses values that are not strings without coercing them', () => {
      expectInvalid(() => phraseToEntropy(42 as unknown as string), /"words"/);
      const words: unknown[] = `${'abandon '.repeat(23)}art`.split(' ');
      words[3] = { toString: () => 'abandon' };
      expectInvalid(() => phraseToEntropy(words as string[]), /"words\[3\]" expected string/);
    });
  });

  describe('when confirmation positions are chosen', () => {
    it('gives distinct sorted positions from 0 to 23', () => {
      for (let i = 0; i < 200; i += 1) {
        const positions = confirmPositions();
        expect(positions).toHaveLength(3);
        expect(new Set(positions).size).toBe(3);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        for (const p of positions) expect(p >= 0 && p < 24 && Number.isInteger(p)).toBe(true);
      }
      expect(confirmPositions(24)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    });
    it('reaches every position (no position is left out by the rejection)', () => {
      const seen = new Set<number>();
      for (let i = 0; i < 400; i += 1) for (const p of confirmPositions(1)) seen.add(p);
      expect(seen.size).toBe(24);
    });
    it('discards 5-bit values 24 to 31 instead of folding them (no modulo bias)', () => {
      // 24..31 must be skipped; 5 is 0b00101, 0xe5 keeps 5 after masking.
      const spy = vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T>(array: T) => {
        (array as Uint8Array).set([24, 31, 0x38, 5, 0xe5, 9, 23]);
        return array;
      });
      try {
        expect(confirmPositions(3)).toEqual([5, 9, 23]);
      } finally {
        spy.mockRestore();
      }
    });
    it('refuses a count outside 1..24', () => {
      expectInvalid(() => confirmPositions(0), /"count"/);
      expectInvalid(() => confirmPositions(25), /"count"/);
      expectInvalid(() => confirmPositions(1.5), /"count"/);
    });
  });
});
