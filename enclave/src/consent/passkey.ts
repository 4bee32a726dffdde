/**
 * WebAuthn in the enclave's own document, for a passkey as a vault unlock method
 * (docs/vault.md): create a passkey and obtain its PRF output, or obtain the PRF output of an
 * enrolled one. Called by the secret dialog on the person's click (a cross-origin frame needs
 * that user activation for `create`); what it returns goes to the key worker on the worker's
 * own channel only, never to the app.
 *
 * The passkey's relying party is the enclave's host (`rp.id = location.hostname`): only the
 * enclave's origin (and its registrable parents, which a deployment does not run) can ask it
 * for a PRF output. There is no server, so the challenge is random and the assertion is not
 * checked: what unlocks is the PRF output, which only this credential gives for this input.
 */
import type { NewPasskeyRequest, PasskeyFailure, PasskeyRef, PasskeyResult } from './messages';
import { PRF_OUTPUT_BYTES } from './messages';

/**
 * How a passkey ceremony ended: a PRF output; a failure that asking again will not change
 * (`failure`); or one the person may retry (`retry`, words to show: cancelled, timed out, no
 * such passkey here).
 */
export type PasskeyOutcome =
  | { readonly passkey: PasskeyResult }
  | { readonly failure: PasskeyFailure }
  | { readonly retry: string };

/** How long the browser may wait for the authenticator, in ms. */
const WEBAUTHN_TIMEOUT_MS = 60_000;

/** COSE algorithms offered for the new credential: ES256, EdDSA, RS256. */
const PUB_KEY_CRED_PARAMS: PublicKeyCredentialParameters[] = [
  { type: 'public-key', alg: -7 },
  { type: 'public-key', alg: -8 },
  { type: 'public-key', alg: -257 },
];

/** The PRF part of the client extension outputs (not in every TypeScript DOM library). */
interface PrfOutputs {
  readonly prf?: {
    readonly enabled?: boolean;
    readonly results?: { readonly first?: BufferSource };
  };
}

/** The PRF extension input (`eval` or `evalByCredential`). */
interface PrfInputs {
  readonly prf: {
    readonly eval?: { readonly first: BufferSource };
    readonly evalByCredential?: Record<string, { readonly first: BufferSource }>;
  };
}

function bytes(source: BufferSource): Uint8Array {
  return source instanceof ArrayBuffer
    ? new Uint8Array(source.slice(0))
    : new Uint8Array(source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength));
}

function base64url(data: Uint8Array): string {
  let binary = '';
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Whether WebAuthn can be tried here at all: the API exists and no policy denies it. */
function available(feature: 'publickey-credentials-get' | 'publickey-credentials-create'): boolean {
  if (typeof PublicKeyCredential === 'undefined' || !navigator.credentials) return false;
  // Chromium reports the frame's permissions policy; elsewhere the call itself will tell.
  const policy = (document as { featurePolicy?: { allowsFeature(name: string): boolean } })
    .featurePolicy;
  return policy ? policy.allowsFeature(feature) : true;
}

/** The PRF output in `credential`'s extension results, or `null`. */
function prfOutput(credential: PublicKeyCredential): Uint8Array | null {
  const outputs = credential.getClientExtensionResults() as PrfOutputs;
  const first = outputs.prf?.results?.first;
  if (!first) return null;
  const out = bytes(first);
  return out.byteLength === PRF_OUTPUT_BYTES ? out : null;
}

/** What a rejected WebAuthn call means for the dialog. */
function fromError(error: unknown): PasskeyOutcome {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return {
      retry:
        'The passkey was not used (cancelled, timed out, or not available on this device). Try again, or cancel.',
    };
  }
  // SecurityError (this host cannot be a relying party), NotSupportedError, TypeError, …
  return { failure: 'unavailable' };
}

/** Obtain the PRF output of one of `passkeys` (the person picks it; user verification). */
export async function usePasskey(passkeys: readonly PasskeyRef[]): Promise<PasskeyOutcome> {
  if (!available('publickey-credentials-get')) return { failure: 'unavailable' };
  const only = passkeys.length === 1 ? passkeys[0] : undefined;
  const extensions: PrfInputs = only
    ? { prf: { eval: { first: only.prfSalt as Uint8Array<ArrayBuffer> } } }
    : {
        prf: {
          evalByCredential: Object.fromEntries(
            passkeys.map((p) => [
              base64url(p.credentialId),
              { first: p.prfSalt as Uint8Array<ArrayBuffer> },
            ]),
          ),
        },
      };
  let credential: PublicKeyCredential | null;
  try {
    credential = (await navigator.credentials.get({
      publicKey: {
        challenge: random(32),
        rpId: location.hostname,
        allowCredentials: passkeys.map((p) => ({
          type: 'public-key' as const,
          id: p.credentialId as Uint8Array<ArrayBuffer>,
        })),
        userVerification: 'required',
        timeout: WEBAUTHN_TIMEOUT_MS,
        extensions: extensions as AuthenticationExtensionsClientInputs,
      },
    })) as PublicKeyCredential | null;
  } catch (error) {
    return fromError(error);
  }
  if (!credential) return { retry: 'No passkey was used. Try again, or cancel.' };
  const prf = prfOutput(credential);
  if (!prf) return { failure: 'no-prf' };
  return { passkey: { credentialId: new Uint8Array(credential.rawId), prf } };
}

/**
 * Create a passkey for the enclave's host and obtain its PRF output for `request.prfSalt`:
 * from the creation itself where the authenticator evaluates PRF at creation, otherwise by
 * asking the new credential once (`get`, that credential only).
 */
export async function createPasskey(
  request: NewPasskeyRequest,
  origin: string,
): Promise<PasskeyOutcome> {
  if (!available('publickey-credentials-create')) return { failure: 'unavailable' };
  const extensions: PrfInputs = {
    prf: { eval: { first: request.prfSalt as Uint8Array<ArrayBuffer> } },
  };
  let credential: PublicKeyCredential | null;
  try {
    credential = (await navigator.credentials.create({
      publicKey: {
        rp: { id: location.hostname, name: `Strongroom (${location.host})` },
        user: {
          id: random(16),
          name: request.label,
          displayName: `${request.label} — keys of ${origin}`,
        },
        challenge: random(32),
        pubKeyCredParams: PUB_KEY_CRED_PARAMS,
        authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        attestation: 'none',
        timeout: WEBAUTHN_TIMEOUT_MS,
        extensions: extensions as AuthenticationExtensionsClientInputs,
      },
    })) as PublicKeyCredential | null;
  } catch (error) {
    return fromError(error);
  }
  if (!credential) return { retry: 'No passkey was created. Try again, or cancel.' };
  const credentialId = new Uint8Array(credential.rawId);
  const prf = prfOutput(credential);
  if (prf) return { passkey: { credentialId, prf } };
  const outputs = credential.getClientExtensionResults() as PrfOutputs;
  if (outputs.prf?.enabled !== true) return { failure: 'no-prf' };
  return usePasskey([{ credentialId, prfSalt: request.prfSalt }]);
}
