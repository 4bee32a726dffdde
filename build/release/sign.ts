/**
 * Sign the release manifest into a Sigstore bundle (v0.3, message signature over the manifest
 * bytes). Two modes:
 * - keyless: an OIDC identity token (GitHub Actions, or given explicitly) is exchanged at Fulcio
 *   for a short-lived certificate; the signature is logged in Rekor and optionally timestamped.
 * - key-based: an EC P-256 private key held by a self-hoster; the bundle names the key by a hint,
 *   the sha256 of its SubjectPublicKeyInfo (hex). No service is contacted.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign as nodeSign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  assertBundleLatest,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleToJSON,
  type SerializedBundle,
} from '@sigstore/bundle';
import {
  CIContextProvider,
  FulcioSigner,
  type IdentityProvider,
  MessageSignatureBundleBuilder,
  RekorWitness,
  type Signer,
  TSAWitness,
  type Witness,
} from '@sigstore/sign';
import { publicKeyHint } from './digest';
import { ReleaseVerificationError } from './errors';

/** How to sign: see the module comment. */
export type SignOptions =
  | {
      readonly kind: 'key';
      readonly privateKeyPem: string;
      /**
       * A timestamp authority (RFC 3161): the bundle then carries a trusted time of signing, so
       * a signature made after the key was revoked or leaked can be told apart. None by default
       * (key-based signing needs no network otherwise).
       */
      readonly tsaUrl?: string;
    }
  | {
      readonly kind: 'keyless';
      /** An OIDC token; if absent, GitHub Actions' token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN) is asked. */
      readonly identityToken?: string;
      readonly fulcioUrl?: string;
      readonly rekorUrl?: string;
      /** A timestamp authority; none by default (Rekor's integrated time stands in). */
      readonly tsaUrl?: string;
    };

function keySigner(privateKeyPem: string): Signer {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (cause) {
    throw new ReleaseVerificationError('SIGNING_FAILED', 'the private key cannot be read', {
      cause,
    });
  }
  if (
    privateKey.asymmetricKeyType !== 'ec' ||
    privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new ReleaseVerificationError('SIGNING_FAILED', 'the private key must be EC P-256');
  }
  const publicKey = createPublicKey(privateKey);
  const key = {
    $case: 'publicKey' as const,
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    hint: publicKeyHint(publicKey),
  };
  return { sign: async (data) => ({ signature: nodeSign('sha256', data, privateKey), key }) };
}

function identityProvider(token: string | undefined): IdentityProvider {
  if (token !== undefined) return { getToken: async () => token };
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new ReleaseVerificationError(
      'SIGNING_FAILED',
      'no identity token: pass --identity-token or run in GitHub Actions with id-token: write',
    );
  }
  return new CIContextProvider('sigstore');
}

/** Rewrite the builder's v0.2 output as v0.3: single leaf certificate, v0.3 media type. */
function toV03(bundle: Bundle): Bundle {
  const content = bundle.verificationMaterial.content;
  const leaf =
    content.$case === 'x509CertificateChain'
      ? content.x509CertificateChain.certificates[0]
      : undefined;
  const out: Bundle = {
    ...bundle,
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...bundle.verificationMaterial,
      content: leaf ? { $case: 'certificate', certificate: leaf } : content,
    },
  };
  assertBundleLatest(out);
  return out;
}

/**
 * Sign `data` (the manifest bytes) and return the serialised v0.3 bundle.
 *
 * Errors are `ReleaseVerificationError` with code `SIGNING_FAILED`; their message never contains
 * the identity token (Sigstore's own errors may, so they are kept only as `cause`).
 *
 * @example
 * ```ts
 * const bundle = await signManifest(bytes, { kind: 'key', privateKeyPem });
 * ```
 */
export async function signManifest(
  data: Uint8Array,
  options: SignOptions,
): Promise<SerializedBundle> {
  let signer: Signer;
  const witnesses: Witness[] = [];
  if (options.kind === 'key') {
    signer = keySigner(options.privateKeyPem);
    if (options.tsaUrl) witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaUrl }));
  } else {
    const base = { identityProvider: identityProvider(options.identityToken) };
    signer = new FulcioSigner(
      options.fulcioUrl ? { ...base, fulcioBaseURL: options.fulcioUrl } : base,
    );
    witnesses.push(new RekorWitness(options.rekorUrl ? { rekorBaseURL: options.rekorUrl } : {}));
    if (options.tsaUrl) witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaUrl }));
  }
  try {
    const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses }).create({
      data: Buffer.from(data),
    });
    return bundleToJSON(toV03(bundle));
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const detail = typeof code === 'string' ? ` (${code})` : '';
    throw new ReleaseVerificationError('SIGNING_FAILED', `signing failed${detail}`, { cause });
  }
}

/**
 * Sign the manifest file at `manifestPath` and write the bundle as JSON to `bundlePath`.
 *
 * @example
 * ```ts
 * await signManifestFile('dist/release/manifest.json', 'dist/release/manifest.sigstore.json', { kind: 'keyless' });
 * ```
 */
export async function signManifestFile(
  manifestPath: string,
  bundlePath: string,
  options: SignOptions,
): Promise<SerializedBundle> {
  const bundle = await signManifest(await readFile(manifestPath), options);
  await writeFile(bundlePath, `${JSON.stringify(bundle, null, 2)}\n`);
  return bundle;
}
