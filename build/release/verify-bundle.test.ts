import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseVerificationError } from './errors';
import { type MockSigstore, startMockSigstore } from './mock-sigstore';
import { signManifest } from './sign';
import { type SignerPolicy, verifyBundle } from './verify-bundle';

const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY =
  'https://github.com/acme/strongroom/.github/workflows/release.yml@refs/tags/v0.1.0';
const DATA = new TextEncoder().encode('{"schemaVersion":1}');

function p256() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReleaseVerificationError);
  expect((err as ReleaseVerificationError).code).toBe(code);
}

describe('key-based bundles', () => {
  const key = p256();
  const other = p256();
  const policy: SignerPolicy = { kind: 'key', publicKeyPem: key.publicKeyPem };

  it('signs a v0.3 bundle that names the key by its SPKI hash', async () => {
    const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: key.privateKeyPem });
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    const verified = await verifyBundle(bundle, DATA, policy);
    expect(verified.kind).toBe('key');
    expect(bundle.verificationMaterial.publicKey?.hint).toBe(
      verified.kind === 'key' ? verified.keyHint : '',
    );
  });

  describe('when the bundle was made by another key', () => {
    it('fails with IDENTITY_MISMATCH', async () => {
      const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: other.privateKeyPem });
      await expectCode(verifyBundle(bundle, DATA, policy), 'IDENTITY_MISMATCH');
    });
  });

  describe('when another key forges the expected key hint', () => {
    it('fails with SIGNATURE_INVALID', async () => {
      const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: other.privateKeyPem });
      const expected = await signManifest(DATA, { kind: 'key', privateKeyPem: key.privateKeyPem });
      const forged = structuredClone(bundle);
      if (forged.verificationMaterial.publicKey && expected.verificationMaterial.publicKey) {
        forged.verificationMaterial.publicKey.hint = expected.verificationMaterial.publicKey.hint;
      }
      await expectCode(verifyBundle(forged, DATA, policy), 'SIGNATURE_INVALID');
    });
  });

  describe('when the bundle digest is for other bytes', () => {
    it('fails with DIGEST_MISMATCH even though the signature is checked separately', async () => {
      const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: key.privateKeyPem });
      await expectCode(
        verifyBundle(bundle, new TextEncoder().encode('{}'), policy),
        'DIGEST_MISMATCH',
      );
    });
  });

  describe('when the claimed digest is rewritten to match other bytes', () => {
    it('fails with SIGNATURE_INVALID', async () => {
      const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: key.privateKeyPem });
      const tampered = new TextEncoder().encode('{"schemaVersion":2}');
      const forged = structuredClone(bundle);
      const digest = forged.messageSignature?.messageDigest;
      if (digest) digest.digest = createHash('sha256').update(tampered).digest('base64');
      await expectCode(verifyBundle(forged, tampered, policy), 'SIGNATURE_INVALID');
    });
  });

  describe('when the bundle is not a bundle', () => {
    it.each([
      ['null', null],
      ['an empty object', {}],
      ['a v0.2 media type', { mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' }],
    ])('refuses %s with BUNDLE_MALFORMED', async (_name, value) => {
      await expectCode(verifyBundle(value, DATA, policy), 'BUNDLE_MALFORMED');
    });

    it('refuses a valid bundle relabelled v0.2', async () => {
      const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: key.privateKeyPem });
      const relabelled = {
        ...bundle,
        mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
      };
      await expectCode(verifyBundle(relabelled, DATA, policy), 'BUNDLE_MALFORMED');
    });
  });

  describe('when the key is not P-256', () => {
    it('refuses to sign with SIGNING_FAILED', async () => {
      const ed = generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      await expectCode(signManifest(DATA, { kind: 'key', privateKeyPem: ed }), 'SIGNING_FAILED');
    });
  });

  describe('when the public key given to the verifier is garbage', () => {
    it('fails with TRUST_INPUT_INVALID', async () => {
      const bundle = await signManifest(DATA, { kind: 'key', privateKeyPem: key.privateKeyPem });
      await expectCode(
        verifyBundle(bundle, DATA, { kind: 'key', publicKeyPem: 'nope' }),
        'TRUST_INPUT_INVALID',
      );
    });
  });
});

describe('keyless bundles (offline, mock Fulcio/Rekor/TSA)', () => {
  let mock: MockSigstore;
  beforeAll(async () => {
    mock = await startMockSigstore();
  });
  afterAll(async () => {
    await mock.stop();
  });

  function keyless(identity = IDENTITY, issuer = ISSUER) {
    return signManifest(DATA, {
      kind: 'keyless',
      identityToken: mock.identityToken(identity, issuer),
      fulcioUrl: mock.fulcioUrl,
      rekorUrl: mock.rekorUrl,
      tsaUrl: mock.tsaUrl,
    });
  }
  const policy = (): Extract<SignerPolicy, { kind: 'keyless' }> => ({
    kind: 'keyless',
    identity: IDENTITY,
    issuer: ISSUER,
    trustedRoot: mock.trustedRoot,
  });

  describe('a key-signed bundle with a timestamp authority configured', () => {
    it('carries an RFC 3161 timestamp and still verifies against the key', async () => {
      const key = p256();
      const bundle = await signManifest(DATA, {
        kind: 'key',
        privateKeyPem: key.privateKeyPem,
        tsaUrl: mock.tsaUrl,
      });
      expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(
        1,
      );
      // Checked against the TSA of a trusted root, and set aside without one.
      await expect(
        verifyBundle(bundle, DATA, {
          kind: 'key',
          publicKeyPem: key.publicKeyPem,
          trustedRoot: mock.trustedRoot,
        }),
      ).resolves.toMatchObject({ kind: 'key' });
      await expect(
        verifyBundle(bundle, DATA, { kind: 'key', publicKeyPem: key.publicKeyPem }),
      ).resolves.toMatchObject({ kind: 'key' });
    });

    it('fails a forged timestamp when the TSA is to be checked', async () => {
      const key = p256();
      const bundle = await signManifest(DATA, {
        kind: 'key',
        privateKeyPem: key.privateKeyPem,
        tsaUrl: mock.tsaUrl,
      });
      const forged = structuredClone(bundle);
      const ts = forged.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.[0];
      if (ts) ts.signedTimestamp = Buffer.from('not a timestamp').toString('base64');
      const err = await verifyBundle(forged, DATA, {
        kind: 'key',
        publicKeyPem: key.publicKeyPem,
        trustedRoot: mock.trustedRoot,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ReleaseVerificationError);
    });
  });

  describe('when no trusted root is given and TUF cannot be reached (offline)', () => {
    it('names the failed trusted-root fetch (TRUSTED_ROOT_UNAVAILABLE), not BUNDLE_MALFORMED', async () => {
      const bundle = await keyless();
      const { mkdtemp, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const cachePath = await mkdtemp(join(tmpdir(), 'strongroom-tuf-'));
      try {
        const err = await verifyBundle(bundle, DATA, {
          kind: 'keyless',
          identity: IDENTITY,
          issuer: ISSUER,
          // A closed loopback port: what an offline machine sees.
          tuf: { mirrorURL: 'http://127.0.0.1:9', cachePath },
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ReleaseVerificationError);
        expect((err as ReleaseVerificationError).code).toBe('TRUSTED_ROOT_UNAVAILABLE');
        expect((err as Error).message).toMatch(/trusted root through TUF \(.+\).*--trusted-root/);
      } finally {
        await rm(cachePath, { recursive: true, force: true });
      }
    });
  });

  it('signs a v0.3 bundle with one leaf certificate, a log entry and a timestamp, and verifies it', async () => {
    const bundle = await keyless();
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.certificate).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(
      1,
    );
    await expect(verifyBundle(bundle, DATA, policy())).resolves.toEqual({
      kind: 'keyless',
      identity: IDENTITY,
      issuer: ISSUER,
    });
  });

  describe('when the identity only contains the expected one (an unanchored regex would match)', () => {
    it('fails with IDENTITY_MISMATCH', async () => {
      const bundle = await keyless(`${IDENTITY}-fork`);
      await expectCode(verifyBundle(bundle, DATA, policy()), 'IDENTITY_MISMATCH');
    });
  });

  describe('when the identity differs only by a regex metacharacter', () => {
    it('fails with IDENTITY_MISMATCH', async () => {
      const bundle = await keyless(IDENTITY.replace('release.yml', 'release-yml'));
      await expectCode(verifyBundle(bundle, DATA, policy()), 'IDENTITY_MISMATCH');
    });
  });

  describe('when the issuer differs', () => {
    it('fails with IDENTITY_MISMATCH', async () => {
      const bundle = await keyless(IDENTITY, 'https://evil.example');
      await expectCode(verifyBundle(bundle, DATA, policy()), 'IDENTITY_MISMATCH');
    });
  });

  describe('when the trusted root is another instance', () => {
    it('fails with UNTRUSTED_MATERIAL', async () => {
      const other = await startMockSigstore();
      try {
        const bundle = await keyless();
        await expectCode(
          verifyBundle(bundle, DATA, { ...policy(), trustedRoot: other.trustedRoot }),
          'UNTRUSTED_MATERIAL',
        );
      } finally {
        await other.stop();
      }
    });
  });

  describe('when a key is required but the bundle carries a certificate', () => {
    it('fails with IDENTITY_MISMATCH', async () => {
      const bundle = await keyless();
      await expectCode(
        verifyBundle(bundle, DATA, { kind: 'key', publicKeyPem: p256().publicKeyPem }),
        'IDENTITY_MISMATCH',
      );
    });
  });

  describe('when the manifest bytes differ', () => {
    it('fails with DIGEST_MISMATCH', async () => {
      const bundle = await keyless();
      await expectCode(
        verifyBundle(bundle, new TextEncoder().encode('x'), policy()),
        'DIGEST_MISMATCH',
      );
    });
  });

  describe('when no identity token is available', () => {
    it('fails with SIGNING_FAILED and never prints a token', async () => {
      const saved = {
        url: process.env.ACTIONS_ID_TOKEN_REQUEST_URL,
        token: process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
      };
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
      try {
        await expectCode(
          signManifest(DATA, { kind: 'keyless', fulcioUrl: mock.fulcioUrl }),
          'SIGNING_FAILED',
        );
      } finally {
        if (saved.url !== undefined) process.env.ACTIONS_ID_TOKEN_REQUEST_URL = saved.url;
        if (saved.token !== undefined) process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = saved.token;
      }
    });

    it('keeps a malformed token out of the error message', async () => {
      const secret = 'not-a-jwt-secret-value';
      const err = await signManifest(DATA, {
        kind: 'keyless',
        identityToken: secret,
        fulcioUrl: mock.fulcioUrl,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReleaseVerificationError);
      expect((err as Error).message).not.toContain(secret);
    });
  });
});
