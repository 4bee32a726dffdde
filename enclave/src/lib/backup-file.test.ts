import { readFileSync } from 'node:fs';
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/bridge/errors';
import type { KeyAlgorithm, PublicJwk } from '@strongroom/bridge/protocol';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type AlgorithmSpec, algorithm, allAlgorithms } from './algorithms';
import {
  type BackupFile,
  type BackupKeys,
  type BackupSecret,
  calibratePbkdf2,
  deriveBackupKeys,
  MAX_BACKUP_BYTES,
  MIN_PBKDF2_ITERATIONS,
  newKdf,
  openBackup,
  parseBackup,
  type SealKey,
  sealBackup,
} from './backup-file';
import { canonicalJson } from './canonical-json';
import { base64url, utf8 } from './encoding';
import { phraseToEntropy } from './recovery-phrase';
import { jwkThumbprint } from './thumbprint';

// Node's WebCrypto (20.19+) implements every algorithm of the table, Ed25519 and X25519
// included, so no case is skipped.

const ORIGIN = 'https://app.example';
const POLICY = {
  audiences: null,
  issuers: null,
  subjects: null,
  vapidAudiences: null,
  maxTokenLifetime: 86400,
  usesPerMinute: 600,
  presence: false,
  presenceEveryMinutes: 0,
  exportable: false,
  backup: true,
};
const PURPOSE = {
  ES256: 'jwt',
  EdDSA: 'sign',
  X25519: 'agree',
  'ECDH-ES': 'jwe',
  A256GCM: 'seal',
  A256KW: 'wrap',
  HS256: 'mac',
} as const;

type Json = Record<string, unknown>;

interface Made {
  readonly seal: SealKey;
  /** Per version (newest first): the original extractable key and, for pairs, the public key. */
  readonly originals: ReadonlyArray<{ key: CryptoKey; publicKey: CryptoKey | null }>;
}

async function publicJwkOf(spec: AlgorithmSpec, publicKey: CryptoKey): Promise<PublicJwk> {
  const exported = (await crypto.subtle.exportKey('jwk', publicKey)) as Record<string, string>;
  const members = spec.thumbprintMembers ?? [];
  const out: Record<string, string> = {};
  for (const name of members) out[name] = exported[name] ?? '';
  const kid = await jwkThumbprint(out, members);
  return { ...out, kid, ...(spec.jwkAlg ? { alg: spec.jwkAlg } : {}) };
}

async function makeKey(alg: KeyAlgorithm, id: string, versionCount = 1): Promise<Made> {
  const spec = algorithm(alg);
  const versions = [];
  const originals = [];
  for (let v = versionCount; v >= 1; v -= 1) {
    const made = (await crypto.subtle.generateKey(
      spec.generateParams as AlgorithmIdentifier,
      true,
      [...spec.generateUsages],
    )) as CryptoKey | CryptoKeyPair;
    const key = 'privateKey' in made ? made.privateKey : made;
    const publicKey = 'publicKey' in made ? made.publicKey : null;
    const publicJwk = publicKey ? await publicJwkOf(spec, publicKey) : null;
    versions.push({ version: v, kid: publicJwk?.kid ?? id, createdAt: 1000 + v, publicJwk, key });
    originals.push({ key, publicKey });
  }
  return {
    seal: {
      id,
      kid: versions[0]?.kid ?? id,
      alg,
      label: `${alg} key`,
      purpose: PURPOSE[alg],
      policy: POLICY,
      createdAt: 1000,
      provenance: { source: 'generated' },
      versions,
    },
    originals,
  };
}

function counter(start: number): (length: number) => Uint8Array {
  let n = start;
  return (length) => Uint8Array.from({ length }, () => n++ & 0xff);
}

async function expectCode(
  promise: Promise<unknown> | (() => unknown),
  code: StrongroomErrorCode,
  message?: string | RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    error = err;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(StrongroomError);
  expect((error as StrongroomError).code).toBe(code);
  if (message !== undefined) expect((error as StrongroomError).message).toMatch(message);
}

/** The file as JSON, edited by `edit`, serialised canonically (as a careful forger would). */
function edited(bytes: Uint8Array, edit: (file: Json) => void): Uint8Array {
  const file = JSON.parse(new TextDecoder().decode(bytes)) as Json;
  edit(file);
  return utf8(canonicalJson(file));
}

/** Recompute `mac` with the right key: a file only the secret's holder could have made. */
async function remac(bytes: Uint8Array, keys: BackupKeys): Promise<Uint8Array> {
  const file = JSON.parse(new TextDecoder().decode(bytes)) as Json;
  delete file.mac;
  const mac = await crypto.subtle.sign('HMAC', keys.mac, utf8(canonicalJson(file)));
  file.mac = base64url(new Uint8Array(mac));
  return utf8(canonicalJson(file));
}

function keysOf(file: Json): Json[] {
  return file.keys as Json[];
}

function versionsOf(file: Json, i: number): Json[] {
  return keysOf(file)[i]?.versions as Json[];
}

/** Show that `opened` is the same key as `original` by using both. */
async function expectSameKey(
  spec: AlgorithmSpec,
  original: { key: CryptoKey; publicKey: CryptoKey | null },
  opened: { key: CryptoKey; publicKey: CryptoKey | null },
): Promise<void> {
  const data = utf8('signed before the backup');
  if (spec.signParams && spec.kind === 'pair') {
    const before = await crypto.subtle.sign(spec.signParams, original.key, data);
    expect(
      await crypto.subtle.verify(spec.signParams, opened.publicKey as CryptoKey, before, data),
    ).toBe(true);
    const after = await crypto.subtle.sign(spec.signParams, opened.key, data);
    expect(
      await crypto.subtle.verify(spec.signParams, original.publicKey as CryptoKey, after, data),
    ).toBe(true);
  } else if (spec.agreeBits) {
    const peer = (await crypto.subtle.generateKey(spec.generateParams as EcKeyGenParams, false, [
      'deriveBits',
    ])) as CryptoKeyPair;
    const name = spec.importParams as { name: string };
    const derive = (key: CryptoKey) =>
      crypto.subtle.deriveBits(
        { name: name.name, public: peer.publicKey } as EcdhKeyDeriveParams,
        key,
        spec.agreeBits,
      );
    expect(new Uint8Array(await derive(opened.key))).toEqual(
      new Uint8Array(await derive(original.key)),
    );
  } else if (spec.alg === 'HS256') {
    expect(new Uint8Array(await crypto.subtle.sign('HMAC', opened.key, data))).toEqual(
      new Uint8Array(await crypto.subtle.sign('HMAC', original.key, data)),
    );
  } else if (spec.alg === 'A256GCM') {
    const iv = new Uint8Array(12);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, original.key, data);
    expect(
      new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, opened.key, sealed)),
    ).toEqual(data);
  } else if (spec.alg === 'A256KW') {
    const inner = await crypto.subtle.importKey(
      'raw',
      new Uint8Array(32).fill(7),
      'AES-GCM',
      true,
      ['encrypt'],
    );
    expect(new Uint8Array(await crypto.subtle.wrapKey('raw', inner, opened.key, 'AES-KW'))).toEqual(
      new Uint8Array(await crypto.subtle.wrapKey('raw', inner, original.key, 'AES-KW')),
    );
  } else {
    expect.fail(`no usage check for ${spec.alg}`);
  }
}

const PHRASE_ENTROPY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const PHRASE: BackupSecret = { kind: 'phrase', entropy: PHRASE_ENTROPY };
const PASSPHRASE: BackupSecret = { kind: 'passphrase', passphrase: 'tr0ub4dor & 3, but longer' };

/** One key per algorithm of the table; ES256 with three versions. */
let made: Made[] = [];
/** `made`, sealed under {@link PHRASE}. */
let phraseFile: Uint8Array;
let phraseKeys: BackupKeys;

beforeAll(async () => {
  made = await Promise.all(
    allAlgorithms().map((spec, i) =>
      makeKey(spec.alg, `key-${i}-${spec.alg}`, spec.alg === 'ES256' ? 3 : 1),
    ),
  );
  const kdf = newKdf('phrase');
  phraseKeys = await deriveBackupKeys(PHRASE, kdf);
  phraseFile = await sealBackup(
    { origin: ORIGIN, createdAt: 5000, kdf, keys: made.map((m) => m.seal) },
    phraseKeys,
  );
});

describe('backup files v1', () => {
  describe('when keys are sealed and opened with the recovery phrase', () => {
    it.each(allAlgorithms().map((spec) => [spec.alg]))(
      'restores %s: same metadata, the same key, non-extractable',
      async (alg) => {
        const opened = await openBackup(parseBackup(phraseFile), PHRASE);
        const index = made.findIndex((m) => m.seal.alg === alg);
        const source = made[index];
        const key = opened.keys[index];
        if (!source || !key) return expect.fail('missing key');
        const spec = algorithm(alg as KeyAlgorithm);
        const { versions: _sealed, ...meta } = source.seal;
        const { versions, ...openedMeta } = key;
        expect(openedMeta).toEqual(meta);
        expect(versions.map((v) => v.version)).toEqual(source.seal.versions.map((v) => v.version));
        for (const [j, version] of versions.entries()) {
          const original = source.originals[j];
          if (!original) return expect.fail('missing version');
          expect(version.key.extractable).toBe(false);
          expect([...version.key.usages].sort()).toEqual([...spec.keyUsages].sort());
          expect(version.publicJwk).toEqual(source.seal.versions[j]?.publicJwk);
          expect(version.publicKey === null).toBe(spec.kind === 'secret');
          await expectSameKey(spec, original, version);
        }
      },
    );
    it('gives transient extractable keys only when asked (for re-wrapping at rest)', async () => {
      const opened = await openBackup(parseBackup(phraseFile), PHRASE, { extractable: true });
      const all = opened.keys.flatMap((k) => k.versions.map((v) => v.key));
      expect(all.every((key) => key.extractable)).toBe(true);
      const hs = opened.keys.find((k) => k.alg === 'HS256')?.versions[0]?.key as CryptoKey;
      const original = made.find((m) => m.seal.alg === 'HS256')?.originals[0]?.key as CryptoKey;
      expect(new Uint8Array(await crypto.subtle.exportKey('raw', hs))).toEqual(
        new Uint8Array(await crypto.subtle.exportKey('raw', original)),
      );
    });
    it('lists versions newest first whatever order they were given in', async () => {
      const key = await makeKey('EdDSA', 'rotated', 3);
      const kdf = newKdf('phrase');
      const shuffled = { ...key.seal, versions: [...key.seal.versions].reverse() };
      const bytes = await sealBackup(
        { origin: ORIGIN, createdAt: 1, kdf, keys: [shuffled] },
        phraseKeys,
      );
      const file = parseBackup(bytes);
      expect(file.keys[0]?.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    });
    it('writes canonical JSON with public metadata in clear and no private member', () => {
      const text = new TextDecoder().decode(phraseFile);
      expect(canonicalJson(JSON.parse(text))).toBe(text);
      const file = parseBackup(phraseFile);
      expect(file.format).toBe('strongroom-backup');
      expect(file.kdf.name).toBe('BIP39-HKDF-SHA-256');
      expect(file.keys.map((k) => k.label)).toEqual(made.map((m) => m.seal.label));
      expect(text).not.toMatch(/"d":/);
      expect(text).not.toMatch(/"k":/);
    });
  });

  describe('when keys are sealed with a passphrase', () => {
    let file: Uint8Array;
    beforeAll(async () => {
      const kdf = newKdf('passphrase');
      file = await sealBackup(
        { origin: ORIGIN, createdAt: 1, kdf, keys: [made[0]?.seal as SealKey] },
        await deriveBackupKeys(PASSPHRASE, kdf),
      );
    });
    it('opens with the passphrase', async () => {
      const opened = await openBackup(parseBackup(file), PASSPHRASE);
      expect(opened.keys).toHaveLength(1);
      expect(opened.origin).toBe(ORIGIN);
    });
    it('refuses a wrong passphrase with BACKUP_DECRYPT_FAILED', async () => {
      await expectCode(
        openBackup(parseBackup(file), { kind: 'passphrase', passphrase: 'tr0ub4dor & 3' }),
        'BACKUP_DECRYPT_FAILED',
      );
    });
    it('refuses a recovery phrase for a passphrase backup with BACKUP_DECRYPT_FAILED', async () => {
      await expectCode(openBackup(parseBackup(file), PHRASE), 'BACKUP_DECRYPT_FAILED');
    });
    it('normalises the passphrase (NFKC): a ligature and a combining ring open the same file', async () => {
      const kdf = newKdf('passphrase');
      const written = '\ufb01le \u00c5'; // "ﬁle Å" as one ligature and one precomposed letter
      const typed = 'file A\u030a'; // "file Å" typed letter by letter
      const bytes = await sealBackup(
        { origin: ORIGIN, createdAt: 1, kdf, keys: [made[1]?.seal as SealKey] },
        await deriveBackupKeys({ kind: 'passphrase', passphrase: written }, kdf),
      );
      const opened = await openBackup(parseBackup(bytes), {
        kind: 'passphrase',
        passphrase: typed,
      });
      expect(opened.keys).toHaveLength(1);
    });
  });

  describe('when the recovery phrase is wrong', () => {
    it('refuses another phrase with BACKUP_DECRYPT_FAILED and a fixed message', async () => {
      const other = Uint8Array.from(PHRASE_ENTROPY);
      other[31] = (other[31] ?? 0) ^ 1;
      await expectCode(
        openBackup(parseBackup(phraseFile), { kind: 'phrase', entropy: other }),
        'BACKUP_DECRYPT_FAILED',
        /^the secret does not open this backup$/,
      );
    });
    it('refuses a passphrase for a phrase backup with BACKUP_DECRYPT_FAILED', async () => {
      await expectCode(openBackup(parseBackup(phraseFile), PASSPHRASE), 'BACKUP_DECRYPT_FAILED');
    });
    it('refuses a malformed secret as an argument error', async () => {
      const kdf = newKdf('phrase');
      await expectCode(
        deriveBackupKeys({ kind: 'phrase', entropy: new Uint8Array(31) }, kdf),
        'INVALID_ARGUMENT',
        /secret\.entropy/,
      );
      await expectCode(
        deriveBackupKeys({ kind: 'passphrase', passphrase: '' }, newKdf('passphrase')),
        'INVALID_ARGUMENT',
        /secret\.passphrase/,
      );
    });
  });

  describe('when the file is not a backup this enclave reads', () => {
    it.each([10, 200, 1000, -1])('refuses the file truncated to %i bytes', (length) => {
      const cut = phraseFile.subarray(0, length < 0 ? phraseFile.length + length : length);
      return expectCode(() => parseBackup(cut), 'BACKUP_INVALID', /^not JSON \(truncated\?\)$/);
    });
    it('refuses an empty file', () =>
      expectCode(() => parseBackup(new Uint8Array(0)), 'BACKUP_INVALID', /not JSON/));
    it('refuses bytes that are not UTF-8', () =>
      expectCode(() => parseBackup(Uint8Array.of(0x7b, 0xff, 0x7d)), 'BACKUP_INVALID', /UTF-8/));
    it('refuses JSON that is not canonical (pretty-printed, trailing newline)', async () => {
      const text = new TextDecoder().decode(phraseFile);
      await expectCode(
        () => parseBackup(utf8(JSON.stringify(JSON.parse(text), null, 2))),
        'BACKUP_INVALID',
        /canonical/,
      );
      await expectCode(() => parseBackup(utf8(`${text}\n`)), 'BACKUP_INVALID', /canonical/);
    });
    it('refuses another format', () =>
      expectCode(
        () => parseBackup(edited(phraseFile, (f) => (f.format = 'other-backup'))),
        'BACKUP_INVALID',
        /^format: not a Strongroom backup/,
      ));
    it('refuses a later version and says which one it reads', () =>
      expectCode(
        () => parseBackup(edited(phraseFile, (f) => (f.version = 2))),
        'BACKUP_INVALID',
        /^version 2 is not supported by this enclave \(1\)$/,
      ));
    it('refuses a file larger than the bound before reading it', () => {
      const big = new Uint8Array(MAX_BACKUP_BYTES + 1).fill(0x20);
      return expectCode(() => parseBackup(big), 'BACKUP_INVALID', /larger than 8388608 bytes/);
    });
    it('refuses a value that is not bytes as an argument error', async () => {
      await expectCode(() => parseBackup('{"format":1}'), 'INVALID_ARGUMENT');
      await expectCode(() => parseBackup(null), 'INVALID_ARGUMENT');
    });
  });

  describe('when a member is malformed', () => {
    const cases: ReadonlyArray<readonly [string, (f: Json) => void, RegExp]> = [
      [
        'material not base64url',
        (f) => {
          (versionsOf(f, 2)[0] as Json).material = 'AAAA$AAA';
        },
        /^keys\[2\]\.versions\[0\]\.material: not base64url$/,
      ],
      [
        'material too short to be a wrapped key',
        (f) => {
          (versionsOf(f, 1)[0] as Json).material = 'AAAA';
        },
        /^keys\[1\]\.versions\[0\]\.material: 3 bytes is not a wrapped key$/,
      ],
      [
        'check with non-zero trailing bits',
        (f) => {
          // 32 bytes end in a character whose two low bits are padding: set one of them.
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const check = f.check as string;
          const last = alphabet[alphabet.indexOf(check.at(-1) ?? 'A') | 1];
          f.check = `${check.slice(0, -1)}${last}`;
        },
        /^check: not base64url$/,
      ],
      ['mac removed', (f) => delete f.mac, /^mac: missing$/],
      ['an unknown member', (f) => (f.comment = 'hi'), /^the file: unknown member "comment"$/],
      [
        'an unknown algorithm',
        (f) => ((keysOf(f)[0] as Json).alg = 'RS256'),
        /^keys\[0\]\.alg: not an algorithm this enclave supports$/,
      ],
      [
        'a purpose that does not fit the algorithm',
        (f) => ((keysOf(f)[0] as Json).purpose = 'mac'),
        /^keys\[0\]\.purpose: a mac key cannot be ES256$/,
      ],
      [
        'versions reordered',
        (f) => versionsOf(f, 0).reverse(),
        /^keys\[0\]\.versions\[1\]\.version: versions must be listed newest first, each once$/,
      ],
      [
        'a version listed twice',
        (f) => {
          const versions = versionsOf(f, 0);
          (versions[1] as Json).version = (versions[0] as Json).version;
        },
        /^keys\[0\]\.versions\[1\]\.version: versions must be listed newest first/,
      ],
      ['no version', (f) => ((keysOf(f)[3] as Json).versions = []), /^keys\[3\]\.versions: empty$/],
      [
        'two keys with one id',
        (f) => ((keysOf(f)[4] as Json).id = (keysOf(f)[1] as Json).id),
        /^keys\[4\]\.id: the same id as keys\[1\]$/,
      ],
      ['no key', (f) => (f.keys = []), /^keys: empty/],
      [
        'a number as a string (never coerced)',
        (f) => ((keysOf(f)[0] as Json).createdAt = '1000'),
        /^keys\[0\]\.createdAt: expected a time/,
      ],
      [
        'a private member in a public JWK',
        (f) => {
          ((versionsOf(f, 0)[0] as Json).publicJwk as Json).d = 'AAAA';
        },
        /^keys\[0\]\.versions\[0\]\.publicJwk: has a private member "d"$/,
      ],
      [
        'a public JWK on a secret key',
        (f) => {
          const index = keysOf(f).findIndex((k) => k.alg === 'HS256');
          (versionsOf(f, index)[0] as Json).publicJwk = { kty: 'oct' };
        },
        /\.versions\[0\]\.publicJwk: expected null \(a secret key\)$/,
      ],
      [
        'a public JWK of another curve',
        (f) => {
          ((versionsOf(f, 0)[0] as Json).publicJwk as Json).crv = 'P-384';
        },
        /^keys\[0\]\.versions\[0\]\.publicJwk: not a ES256 public key$/,
      ],
      [
        'a key kid that is not the primary version kid',
        (f) => ((keysOf(f)[0] as Json).kid = (versionsOf(f, 0)[1] as Json).kid),
        /^keys\[0\]\.kid: not the kid of the primary version$/,
      ],
      [
        'too few PBKDF2 iterations',
        (f) =>
          (f.kdf = { name: 'PBKDF2-SHA-256', iterations: 1000, salt: 'AAAAAAAAAAAAAAAAAAAAAA' }),
        /^kdf\.iterations: expected an integer from 600000 to 20000000$/,
      ],
      [
        'a short salt',
        (f) => ((f.kdf as Json).salt = 'AAAA'),
        /^kdf\.salt: expected 16 bytes, got 3$/,
      ],
      ['an unknown KDF', (f) => ((f.kdf as Json).name = 'scrypt'), /^kdf\.name: expected/],
      ['another AEAD', (f) => (f.aead = 'A128GCM'), /^aead: expected "A256GCM"$/],
      [
        'an origin with a path',
        (f) => (f.origin = 'https://app.example/path'),
        /^origin: not a serialised origin/,
      ],
      [
        'a label that is too long',
        (f) => ((keysOf(f)[0] as Json).label = 'x'.repeat(129)),
        /^keys\[0\]\.label: expected a string of at most 128 characters$/,
      ],
      [
        'an unknown provenance',
        (f) => ((keysOf(f)[0] as Json).provenance = { source: 'stolen' }),
        /^keys\[0\]\.provenance\.source: not a key source$/,
      ],
      [
        'a policy nested too deep',
        (f) => {
          let deep: unknown = 1;
          for (let i = 0; i < 20; i += 1) deep = [deep];
          (keysOf(f)[0] as Json).policy = { deep };
        },
        /^keys\[0\]\.policy\.deep(\[0\])+: nested deeper than 16$/,
      ],
      [
        'a policy that is not an object',
        (f) => ((keysOf(f)[0] as Json).policy = [1]),
        /^keys\[0\]\.policy: expected an object$/,
      ],
      [
        'a "__proto__" policy member',
        (f) => {
          Object.defineProperty((keysOf(f)[0] as Json).policy, '__proto__', {
            value: { presence: false },
            enumerable: true,
          });
        },
        /^keys\[0\]\.policy: "__proto__" member$/,
      ],
    ];
    it.each(cases)('refuses %s, naming it', (_name, edit, message) =>
      expectCode(() => parseBackup(edited(phraseFile, edit)), 'BACKUP_INVALID', message),
    );
  });

  describe('when the file was edited after it was made', () => {
    const edits: ReadonlyArray<readonly [string, (f: Json) => void]> = [
      ['a label', (f) => ((keysOf(f)[0] as Json).label = 'Edited')],
      ['the policy', (f) => (((keysOf(f)[0] as Json).policy as Json).usesPerMinute = 60_000)],
      ['the purpose', (f) => ((keysOf(f)[0] as Json).purpose = 'vapid')],
      [
        'a byte of a material',
        (f) => {
          const version = versionsOf(f, 2)[0] as Json;
          const material = version.material as string;
          const i = 30;
          version.material = `${material.slice(0, i)}${material[i] === 'A' ? 'B' : 'A'}${material.slice(i + 1)}`;
        },
      ],
      [
        'the version numbers (still newest first)',
        (f) => {
          for (const v of versionsOf(f, 0)) v.version = (v.version as number) + 1;
        },
      ],
      ['a key removed', (f) => keysOf(f).splice(3, 1)],
      ['the createdAt', (f) => (f.createdAt = 6000)],
      ['the origin', (f) => (f.origin = 'https://evil.example')],
    ];
    it.each(edits)('refuses %s with BACKUP_INVALID (mac)', (_name, edit) =>
      expectCode(
        openBackup(parseBackup(edited(phraseFile, edit)), PHRASE),
        'BACKUP_INVALID',
        /^mac: does not match: the file was edited after it was made$/,
      ),
    );
    it('refuses a replaced check with BACKUP_INVALID, not as a wrong secret', () =>
      expectCode(
        openBackup(
          parseBackup(edited(phraseFile, (f) => (f.check = base64url(new Uint8Array(32))))),
          PHRASE,
        ),
        'BACKUP_INVALID',
        /^check: does not match: the file was edited after it was made$/,
      ));
    it('refuses a replaced check and mac with BACKUP_INVALID', () =>
      expectCode(
        openBackup(
          parseBackup(
            edited(phraseFile, (f) => {
              f.check = base64url(new Uint8Array(32));
              f.mac = base64url(new Uint8Array(32).fill(1));
            }),
          ),
          PHRASE,
        ),
        'BACKUP_INVALID',
        /^check: does not match/,
      ));
    it('reads an edited salt as a wrong secret (the keys it derives are other keys)', () =>
      expectCode(
        openBackup(
          parseBackup(edited(phraseFile, (f) => ((f.kdf as Json).salt = 'AAAAAAAAAAAAAAAAAAAAAA'))),
          PHRASE,
        ),
        'BACKUP_DECRYPT_FAILED',
      ));
  });

  describe('when the mac is right but a key version is not', () => {
    it('names the version whose material does not decrypt (swapped between keys)', async () => {
      const bytes = await remac(
        edited(phraseFile, (f) => {
          // Same algorithm family is not needed: the AAD binds id, version and alg.
          (versionsOf(f, 5)[0] as Json).material = (versionsOf(f, 4)[0] as Json).material;
        }),
        phraseKeys,
      );
      const id = made[5]?.seal.id;
      await expectCode(
        openBackup(parseBackup(bytes), PHRASE),
        'BACKUP_INVALID',
        new RegExp(
          `^keys\\[5\\]\\.versions\\[0\\]\\.material: does not decrypt \\(key ${id} version 1\\)$`,
        ),
      );
    });
    it('refuses a private key that does not match its public key', async () => {
      const bytes = await remac(
        edited(phraseFile, (f) => {
          const [v3, v2] = versionsOf(f, 0) as [Json, Json];
          [v3.publicJwk, v2.publicJwk] = [v2.publicJwk, v3.publicJwk];
          [v3.kid, v2.kid] = [v2.kid, v3.kid];
          (keysOf(f)[0] as Json).kid = v3.kid;
        }),
        phraseKeys,
      );
      await expectCode(
        openBackup(parseBackup(bytes), PHRASE),
        'BACKUP_INVALID',
        /^keys\[0\]\.versions\[0\]: the private key does not match its public key/,
      );
    });
    it('refuses an X25519 private key that does not match its public key (agreement check)', async () => {
      const x = allAlgorithms().findIndex((s) => s.alg === 'X25519');
      const other = await makeKey('X25519', 'other');
      const bytes = await remac(
        edited(phraseFile, (f) => {
          const version = versionsOf(f, x)[0] as Json;
          version.publicJwk = other.seal.versions[0]?.publicJwk;
          version.kid = other.seal.versions[0]?.kid;
          (keysOf(f)[x] as Json).kid = version.kid;
        }),
        phraseKeys,
      );
      await expectCode(
        openBackup(parseBackup(bytes), PHRASE),
        'BACKUP_INVALID',
        new RegExp(`^keys\\[${x}\\]\\.versions\\[0\\]: the private key does not match`),
      );
    });
    it('refuses a kid that is not the thumbprint of the public key', async () => {
      const bytes = await remac(
        edited(phraseFile, (f) => {
          const version = versionsOf(f, 1)[0] as Json;
          version.kid = 'notTheThumbprint';
          (version.publicJwk as Json).kid = 'notTheThumbprint';
          (keysOf(f)[1] as Json).kid = 'notTheThumbprint';
        }),
        phraseKeys,
      );
      await expectCode(
        openBackup(parseBackup(bytes), PHRASE),
        'BACKUP_INVALID',
        /^keys\[1\]\.versions\[0\]\.kid: not the thumbprint of its public key/,
      );
    });
    it('re-validates a file object changed after parseBackup', async () => {
      const file = parseBackup(phraseFile);
      const forged = {
        ...file,
        keys: [{ ...file.keys[0], alg: 'RS256' }],
      } as unknown as BackupFile;
      await expectCode(openBackup(forged, PHRASE), 'BACKUP_INVALID', /keys\[0\]\.alg/);
    });
  });

  describe('when sealing input is malformed', () => {
    it('refuses a key that is not extractable, naming it', async () => {
      const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]);
      const seal: SealKey = {
        ...(made[6]?.seal as SealKey),
        versions: [{ version: 1, kid: 'k', createdAt: 1, publicJwk: null, key }],
      };
      await expectCode(
        sealBackup(
          { origin: ORIGIN, createdAt: 1, kdf: newKdf('phrase'), keys: [seal] },
          phraseKeys,
        ),
        'INVALID_ARGUMENT',
        /^keys\[0\]\.versions\[0\]\.key: expected an extractable secret HS256 key$/,
      );
    });
    it('refuses a version given twice', async () => {
      const source = made[0]?.seal as SealKey;
      const twice = { ...source, versions: [source.versions[0], source.versions[0]] } as SealKey;
      await expectCode(
        sealBackup(
          { origin: ORIGIN, createdAt: 1, kdf: newKdf('phrase'), keys: [twice] },
          phraseKeys,
        ),
        'INVALID_ARGUMENT',
        /versions must be listed newest first, each once/,
      );
    });
    it('refuses an empty backup', () =>
      expectCode(
        sealBackup({ origin: ORIGIN, createdAt: 1, kdf: newKdf('phrase'), keys: [] }, phraseKeys),
        'INVALID_ARGUMENT',
        /^keys: empty/,
      ));
  });

  describe('when a KDF is made or calibrated', () => {
    it('draws a 16-byte salt from the random source', () => {
      expect(newKdf('phrase', undefined, counter(0))).toEqual({
        name: 'BIP39-HKDF-SHA-256',
        salt: 'AAECAwQFBgcICQoLDA0ODw',
      });
      expect(newKdf('passphrase', 700_000, counter(0))).toEqual({
        name: 'PBKDF2-SHA-256',
        iterations: 700_000,
        salt: 'AAECAwQFBgcICQoLDA0ODw',
      });
    });
    it('refuses fewer iterations than the minimum', () =>
      expectCode(() => newKdf('passphrase', 599_999), 'INVALID_ARGUMENT', /iterations/));
    it('derives non-extractable keys with only their usages', async () => {
      const keys = await deriveBackupKeys(PHRASE, newKdf('phrase'));
      expect(keys.wrap.extractable).toBe(false);
      expect(keys.mac.extractable).toBe(false);
      expect([...keys.wrap.usages].sort()).toEqual(['unwrapKey', 'wrapKey']);
      expect([...keys.mac.usages].sort()).toEqual(['sign', 'verify']);
    });
    it('calibrates from the median run, rounded up to 10,000', async () => {
      // Runs of 10 ms, 1000 ms and 20 ms for 100,000 iterations: median 20 ms → 250 ms is
      // 1,250,000 iterations.
      const times = [0, 10, 100, 1100, 2000, 2020];
      const spy = vi.spyOn(performance, 'now').mockImplementation(() => times.shift() ?? 0);
      try {
        expect(await calibratePbkdf2(250, 3)).toBe(1_250_000);
      } finally {
        spy.mockRestore();
      }
    });
    it('never calibrates below the minimum', async () => {
      const n = await calibratePbkdf2(1, 1);
      expect(n).toBe(MIN_PBKDF2_ITERATIONS);
    });
    it('calibrates a real device to a multiple of 10,000', async () => {
      const n = await calibratePbkdf2(250, 3);
      expect(n % 10_000).toBe(0);
      expect(n).toBeGreaterThanOrEqual(MIN_PBKDF2_ITERATIONS);
    });
  });

  describe('test vector (fixtures/backup-v1-vector.json)', () => {
    interface VectorVersion {
      version: number;
      kid: string;
      createdAt: number;
      publicJwk: PublicJwk | null;
      privateJwk: JsonWebKey;
    }
    interface Vector {
      origin: string;
      createdAt: number;
      passphrase: string;
      iterations: number;
      phrase: string;
      phraseEntropyHex: string;
      randomStart: { passphrase: number; phrase: number };
      keys: Array<Omit<SealKey, 'versions'> & { versions: VectorVersion[] }>;
      expected: Record<'passphrase' | 'phrase', { file: string; sha256: string; bytes: number }>;
    }
    const dir = new URL('./fixtures/', import.meta.url);
    const vector = JSON.parse(
      readFileSync(new URL('backup-v1-vector.json', dir), 'utf8'),
    ) as Vector;
    const expectedFile = (kind: 'passphrase' | 'phrase') =>
      new Uint8Array(readFileSync(new URL(vector.expected[kind].file, dir)));
    const secretOf = (kind: 'passphrase' | 'phrase'): BackupSecret =>
      kind === 'passphrase'
        ? { kind, passphrase: vector.passphrase }
        : { kind, entropy: phraseToEntropy(vector.phrase) };

    it('has a phrase that encodes the stated entropy', () => {
      const hex = Array.from(phraseToEntropy(vector.phrase), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join('');
      expect(hex).toBe(vector.phraseEntropyHex);
    });
    it.each(['passphrase', 'phrase'] as const)(
      'is re-created byte for byte from its inputs (%s)',
      async (kind) => {
        const random = counter(vector.randomStart[kind]);
        const kdf = newKdf(kind, vector.iterations, random);
        const keys: SealKey[] = await Promise.all(
          vector.keys.map(async (key) => {
            const spec = algorithm(key.alg);
            return {
              ...key,
              versions: await Promise.all(
                key.versions.map(async ({ privateJwk, ...version }) => ({
                  ...version,
                  key: await crypto.subtle.importKey('jwk', privateJwk, spec.importParams, true, [
                    ...spec.keyUsages,
                  ]),
                })),
              ),
            };
          }),
        );
        const bytes = await sealBackup(
          { origin: vector.origin, createdAt: vector.createdAt, kdf, keys },
          await deriveBackupKeys(secretOf(kind), kdf),
          random,
        );
        const expected = expectedFile(kind);
        expect(new TextDecoder().decode(bytes)).toBe(new TextDecoder().decode(expected));
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        expect(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')).toBe(
          vector.expected[kind].sha256,
        );
      },
    );
    it.each(['passphrase', 'phrase'] as const)(
      'opens with its secret and gives back the same keys (%s)',
      async (kind) => {
        const opened = await openBackup(parseBackup(expectedFile(kind)), secretOf(kind));
        expect(opened.keys.map((k) => k.id)).toEqual(vector.keys.map((k) => k.id));
        for (const [i, key] of opened.keys.entries()) {
          const source = vector.keys[i];
          if (!source) return expect.fail('missing key');
          const spec = algorithm(key.alg);
          for (const [j, version] of key.versions.entries()) {
            const jwk = source.versions[j]?.privateJwk as JsonWebKey;
            const original = await crypto.subtle.importKey('jwk', jwk, spec.importParams, true, [
              ...spec.keyUsages,
            ]);
            const publicKey =
              spec.kind === 'pair'
                ? await crypto.subtle.importKey(
                    'jwk',
                    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}) },
                    spec.importPublicParams as EcKeyImportParams,
                    true,
                    [...(spec.publicUsages ?? [])],
                  )
                : null;
            await expectSameKey(spec, { key: original, publicKey }, version);
          }
        }
      },
    );
  });
});
