/**
 * Recovery phrases: BIP-39 English mnemonics of 24 words, which encode 32 bytes of entropy
 * and an 8-bit checksum. The words, their encoding and the checksum come from `@scure/bip39`
 * (audited, no dependencies but `@noble/hashes`, no eval or wasm); nothing here re-implements
 * BIP-39. The entropy itself — not the BIP-39 seed — is the secret a backup is derived from
 * (docs/backup.md), so the phrase alone opens the backup, with no BIP-39 passphrase.
 *
 * A phrase is a secret: it is generated, shown and typed only in the enclave's own document.
 * Error messages here say which word is wrong by its position, never the word itself, so that
 * an error that reaches the app page carries no part of the phrase.
 */
import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { StrongroomError } from '@strongroom/bridge/errors';

/** Number of words of a Strongroom recovery phrase. */
export const RECOVERY_PHRASE_WORDS = 24;

/** Bytes of entropy a recovery phrase encodes (256 bits). */
export const RECOVERY_ENTROPY_BYTES = 32;

const WORDS: ReadonlySet<string> = new Set(wordlist);

/**
 * A new recovery phrase: 32 bytes from `crypto.getRandomValues`, as 24 BIP-39 English words.
 * The caller shows `words` in the enclave's dialog and keeps `entropy` to derive the backup
 * key; zero `entropy` when done (`entropy.fill(0)`; JS promises nothing about other copies).
 *
 * @example
 * ```ts
 * const { words, entropy } = newRecoveryPhrase();
 * words.length; // 24
 * entropy.length; // 32
 * ```
 */
export function newRecoveryPhrase(): { words: string[]; entropy: Uint8Array<ArrayBuffer> } {
  const entropy = crypto.getRandomValues(new Uint8Array(RECOVERY_ENTROPY_BYTES));
  return { words: entropyToMnemonic(entropy, wordlist).split(' '), entropy };
}

/**
 * The 32 bytes of entropy of a 24-word phrase, as typed by a person: Unicode-normalised
 * (NFKD, as BIP-39 requires), case-folded, any run of white space between words.
 *
 * Throws `INVALID_ARGUMENT` naming the problem: not a string (or array of strings), the wrong
 * number of words, word N not in the English list, or a checksum that does not match (a word
 * is wrong or out of order). Messages never contain the words.
 *
 * @example
 * ```ts
 * const entropy = phraseToEntropy('abandon abandon … art'); // 24 words
 * const same = phraseToEntropy(['Abandon', 'ABANDON', …, 'art']);
 * ```
 */
export function phraseToEntropy(words: string | readonly string[]): Uint8Array<ArrayBuffer> {
  let text: string;
  if (typeof words === 'string') {
    text = words;
  } else if (Array.isArray(words)) {
    // Typed input may still be anything at run time: never coerce.
    for (const [i, word] of (words as readonly unknown[]).entries()) {
      if (typeof word !== 'string') {
        throw new StrongroomError('INVALID_ARGUMENT', `"words[${i}]" expected string`);
      }
    }
    text = words.join(' ');
  } else {
    throw new StrongroomError('INVALID_ARGUMENT', '"words" expected a string or an array');
  }
  const list = text
    .normalize('NFKD')
    .toLowerCase()
    .split(/\s+/u)
    .filter((word) => word !== '');
  if (list.length !== RECOVERY_PHRASE_WORDS) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `a recovery phrase has ${RECOVERY_PHRASE_WORDS} words, got ${list.length}`,
    );
  }
  const unknown = list.findIndex((word) => !WORDS.has(word));
  if (unknown !== -1) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `word ${unknown + 1} is not in the BIP-39 English word list`,
    );
  }
  let entropy: Uint8Array;
  try {
    entropy = mnemonicToEntropy(list.join(' '), wordlist);
  } catch {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      'the recovery phrase checksum does not match (a word is wrong or out of order)',
    );
  }
  const out = new Uint8Array(RECOVERY_ENTROPY_BYTES);
  out.set(entropy);
  entropy.fill(0);
  return out;
}

/**
 * `count` distinct word positions (0-based, 0 to 23), sorted, for the person to re-enter to
 * confirm they wrote the phrase down. Drawn with `crypto.getRandomValues` by rejection (a
 * 5-bit value is kept only when below 24), so every position is equally likely.
 *
 * @example
 * ```ts
 * confirmPositions(); // e.g. [3, 11, 20]: ask for words 4, 12 and 21
 * ```
 */
export function confirmPositions(count = 3): number[] {
  if (!Number.isInteger(count) || count < 1 || count > RECOVERY_PHRASE_WORDS) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"count" expected an integer from 1 to ${RECOVERY_PHRASE_WORDS}`,
    );
  }
  const chosen = new Set<number>();
  while (chosen.size < count) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      const position = byte & 0x1f;
      if (position < RECOVERY_PHRASE_WORDS) chosen.add(position);
      if (chosen.size === count) break;
    }
  }
  return [...chosen].sort((a, b) => a - b);
}
