/**
 * Verify a Sigstore bundle against the manifest bytes, and pin who signed them.
 *
 * The bundle is attacker-controlled input: it names its own key, certificate and digest. So:
 * the digest it claims is compared with sha256 of the bytes we hold (the key-based Verifier of
 * @sigstore/verify does not do this); the signer is compared by exact string equality with
 * the identity and issuer the caller expects (@sigstore/verify's policy strings are unanchored
 * regular expressions, so they are not used); a key-based bundle must name the caller's key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  assertBundleLatest,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleFromJSON,
  type SerializedBundle,
} from '@sigstore/bundle';
import { HashAlgorithm, TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type Signer,
  type TrustMaterial,
  toSignedEntity,
  toTrustMaterial,
  VerificationError,
  Verifier,
} from '@sigstore/verify';
import { createVerifier } from 'sigstore';
import { digestEquals, publicKeyHint, sha256Hex } from './digest';
import { ReleaseVerificationError } from './errors';

/** Who must have signed. */
export type SignerPolicy =
  | {
      readonly kind: 'key';
      readonly publicKeyPem: string;
      /**
       * A trusted root whose timestamp authorities check the bundle's RFC 3161 timestamp (a
       * key-signed release timestamped by a TSA): then one verified timestamp is required.
       * Absent: a timestamp in the bundle is set aside unchecked and the signature stands alone.
       */
      readonly trustedRoot?: unknown;
    }
  | {
      readonly kind: 'keyless';
      /** The certificate's Subject Alternative Name, compared exactly (e.g. the workflow URI with its ref). */
      readonly identity: string;
      /** The OIDC issuer extension, compared exactly (e.g. `https://token.actions.githubusercontent.com`). */
      readonly issuer: string;
      /**
       * Trusted root (protobuf JSON) for offline verification. Absent: Sigstore's public-good root
       * is fetched through TUF (needs network).
       */
      readonly trustedRoot?: unknown;
      /** Where TUF fetches the trusted root from (default Sigstore's CDN) and caches it. */
      readonly tuf?: { readonly mirrorURL?: string; readonly cachePath?: string };
    };

/** What verification established. */
export type VerifiedSigner =
  | { readonly kind: 'key'; readonly keyHint: string }
  | { readonly kind: 'keyless'; readonly identity: string; readonly issuer: string };

function malformed(message: string, cause?: unknown): ReleaseVerificationError {
  return new ReleaseVerificationError('BUNDLE_MALFORMED', message, { cause });
}

function parseBundle(json: unknown): Bundle {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
    assertBundleLatest(bundle);
  } catch (cause) {
    throw malformed('the bundle is not a valid Sigstore bundle', cause);
  }
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE)
    throw malformed(`the bundle must be ${BUNDLE_V03_MEDIA_TYPE}`);
  if (bundle.content.$case !== 'messageSignature')
    throw malformed('the bundle must hold a message signature');
  return bundle;
}

function checkDigest(bundle: Bundle, data: Uint8Array): void {
  if (bundle.content.$case !== 'messageSignature')
    throw malformed('the bundle must hold a message signature');
  const { messageDigest } = bundle.content.messageSignature;
  if (messageDigest?.algorithm !== HashAlgorithm.SHA2_256)
    throw malformed('the message digest must be sha256');
  const claimed = Buffer.from(messageDigest.digest).toString('hex');
  if (!digestEquals(claimed, sha256Hex(data))) {
    throw new ReleaseVerificationError(
      'DIGEST_MISMATCH',
      'the bundle was made for other manifest bytes',
    );
  }
}

function readPublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (cause) {
    throw new ReleaseVerificationError('TRUST_INPUT_INVALID', 'the public key cannot be read', {
      cause,
    });
  }
}

function keyTrustMaterial(
  expectedHint: string,
  publicKey: KeyObject,
  timestampAuthorities: TrustMaterial['timestampAuthorities'] = [],
): TrustMaterial {
  return {
    certificateAuthorities: [],
    timestampAuthorities,
    tlogs: [],
    ctlogs: [],
    publicKey: (hint) => {
      // The hint is chosen by whoever made the bundle: it only selects, the signature decides.
      if (hint !== expectedHint) {
        throw new ReleaseVerificationError(
          'IDENTITY_MISMATCH',
          'the bundle was signed with another key',
        );
      }
      return { publicKey, validFor: () => true };
    },
  };
}

function readTrustedRoot(json: unknown): TrustMaterial {
  try {
    return toTrustMaterial(TrustedRoot.fromJSON(json));
  } catch (cause) {
    throw new ReleaseVerificationError('TRUST_INPUT_INVALID', 'the trusted root cannot be read', {
      cause,
    });
  }
}

/** Map @sigstore/verify's failures onto our codes. */
function translate(err: unknown): never {
  if (err instanceof ReleaseVerificationError) throw err;
  if (err instanceof VerificationError && err.code === 'SIGNATURE_ERROR') {
    throw new ReleaseVerificationError('SIGNATURE_INVALID', 'signature verification failed', {
      cause: err,
    });
  }
  if (err instanceof VerificationError) {
    throw new ReleaseVerificationError('UNTRUSTED_MATERIAL', `verification failed (${err.code})`, {
      cause: err,
    });
  }
  // Anything else is a parse failure of the certificate, log entry or timestamp in the bundle.
  throw malformed('the verification material in the bundle cannot be parsed', err);
}

/** An error with its causes, e.g. `fetch failed: getaddrinfo ENOTFOUND tuf-repo-cdn.sigstore.dev`. */
function causeChain(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    const text = current.message || (typeof code === 'string' ? code : current.name);
    if (text && !parts.includes(text)) parts.push(text);
    current = current.cause;
  }
  return parts.join(': ') || String(err);
}

async function verifyKeyless(
  bundle: Bundle,
  json: unknown,
  data: Uint8Array,
  trustedRoot: unknown,
  tuf: { readonly mirrorURL?: string; readonly cachePath?: string } = {},
): Promise<Signer> {
  if (bundle.verificationMaterial.content.$case === 'publicKey') {
    throw new ReleaseVerificationError(
      'IDENTITY_MISMATCH',
      'the bundle is key-signed, a certificate was required',
    );
  }
  try {
    if (trustedRoot !== undefined) {
      const verifier = new Verifier(readTrustedRoot(trustedRoot));
      return verifier.verify(toSignedEntity(bundle, Buffer.from(data)));
    }
  } catch (err) {
    return translate(err);
  }
  // Online: fetching the trusted root is its own step, so that its failure (offline, a proxy,
  // a DNS error) is named as such rather than as a malformed bundle.
  let online: Awaited<ReturnType<typeof createVerifier>>;
  try {
    online = await createVerifier({
      ...(tuf.mirrorURL ? { tufMirrorURL: tuf.mirrorURL } : {}),
      ...(tuf.cachePath ? { tufCachePath: tuf.cachePath } : {}),
    });
  } catch (err) {
    throw new ReleaseVerificationError(
      'TRUSTED_ROOT_UNAVAILABLE',
      `could not fetch Sigstore's trusted root through TUF (${causeChain(err)}); to verify offline, give the trusted root as a file (--trusted-root)`,
      { cause: err },
    );
  }
  try {
    return online.verify(json as SerializedBundle, Buffer.from(data));
  } catch (err) {
    return translate(err);
  }
}

/**
 * Verify `bundleJson` (parsed JSON of `manifest.sigstore.json`) over `data` (the exact manifest
 * bytes) and require the signer in `policy`. Resolves with what was verified; rejects with a
 * `ReleaseVerificationError`: `BUNDLE_MALFORMED`, `DIGEST_MISMATCH`, `SIGNATURE_INVALID`,
 * `IDENTITY_MISMATCH`, `UNTRUSTED_MATERIAL`, `TRUST_INPUT_INVALID` or `TRUSTED_ROOT_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * await verifyBundle(JSON.parse(bundleText), manifestBytes, {
 *   kind: 'keyless',
 *   identity: 'https://github.com/acme/strongroom/.github/workflows/release.yml@refs/tags/v0.1.0',
 *   issuer: 'https://token.actions.githubusercontent.com',
 * });
 * ```
 */
export async function verifyBundle(
  bundleJson: unknown,
  data: Uint8Array,
  policy: SignerPolicy,
): Promise<VerifiedSigner> {
  const bundle = parseBundle(bundleJson);
  checkDigest(bundle, data);
  if (policy.kind === 'key') {
    const publicKey = readPublicKey(policy.publicKeyPem);
    const keyHint = publicKeyHint(publicKey);
    if (bundle.verificationMaterial.content.$case !== 'publicKey') {
      throw new ReleaseVerificationError(
        'IDENTITY_MISMATCH',
        'the bundle carries a certificate, a key was required',
      );
    }
    const tsas =
      policy.trustedRoot === undefined
        ? []
        : readTrustedRoot(policy.trustedRoot).timestampAuthorities;
    const verifier = new Verifier(keyTrustMaterial(keyHint, publicKey, tsas), {
      tlogThreshold: 0,
      ctlogThreshold: 0,
      timestampThreshold: tsas.length > 0 ? 1 : 0,
    });
    // Without timestamp authorities to check it against, a timestamp is set aside.
    const checked =
      tsas.length > 0
        ? bundle
        : {
            ...bundle,
            verificationMaterial: {
              ...bundle.verificationMaterial,
              timestampVerificationData: undefined,
            },
          };
    try {
      verifier.verify(toSignedEntity(checked as Bundle, Buffer.from(data)));
    } catch (err) {
      translate(err);
    }
    return { kind: 'key', keyHint };
  }
  const signer = await verifyKeyless(bundle, bundleJson, data, policy.trustedRoot, policy.tuf);
  const identity = signer.identity?.subjectAlternativeName ?? '';
  const issuer = signer.identity?.extensions?.issuer ?? '';
  // Exact equality, never a pattern: "acme/app" must not accept "evil-acme/app-fork".
  if (identity !== policy.identity || issuer !== policy.issuer) {
    const got = `${JSON.stringify(identity)} (issuer ${JSON.stringify(issuer)})`;
    throw new ReleaseVerificationError(
      'IDENTITY_MISMATCH',
      `signed by ${got}, not the expected identity`,
    );
  }
  return { kind: 'keyless', identity, issuer };
}
