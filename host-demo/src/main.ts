/**
 * The demo app: connects to the enclave through the bridge, makes a key, signs a message,
 * verifies the signature (in the enclave, and for asymmetric keys also here with WebCrypto
 * from the exported public JWK), and shows the result.
 */
import { connect, type Enclave, StrongroomError } from '@strongroom/bridge';

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
}

const status = el<HTMLOutputElement>('status');
const result = el<HTMLPreElement>('result');
const button = el<HTMLButtonElement>('run');

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function verifyHere(jwk: JsonWebKey, alg: string, data: Uint8Array, sig: Uint8Array) {
  const params = alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
  const key = await crypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    params,
    false,
    ['verify'],
  );
  const signParams = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
  return crypto.subtle.verify(signParams, key, new Uint8Array(sig), new Uint8Array(data));
}

async function run(enclave: Enclave): Promise<void> {
  const alg = el<HTMLSelectElement>('alg').value as 'EdDSA' | 'ES256' | 'HS256';
  const data = new TextEncoder().encode(el<HTMLInputElement>('message').value);
  // One purpose per key: raw signatures are `sign` (ES256, EdDSA) or `mac` (HS256).
  const key = await enclave.generateKey({
    alg,
    purpose: alg === 'HS256' ? 'mac' : 'sign',
    label: 'demo',
  });
  const signature = await enclave.sign(key.id, data);
  const inEnclave = await enclave.verify(key.id, data, signature);
  const here = key.publicJwk
    ? await verifyHere(key.publicJwk, alg, data, signature)
    : 'n/a (secret key)';
  const keys = await enclave.listKeys();
  result.textContent = [
    `key id:     ${key.id}`,
    `kid:        ${key.kid}`,
    `public JWK: ${JSON.stringify(key.publicJwk)}`,
    `signature:  ${hex(signature)}`,
    `verified in the enclave: ${inEnclave}`,
    `verified in this page:   ${here}`,
    `keys of this origin:     ${keys.length}`,
  ].join('\n');
  result.dataset.verified = String(inEnclave);
}

async function main(): Promise<void> {
  const config = (await (await fetch('./strongroom-config.json')).json()) as { enclaveUrl: string };
  try {
    const enclave = await connect({ url: config.enclaveUrl, timeoutMs: 10_000 });
    const info = await enclave.info();
    status.textContent = `connected to ${info.enclaveOrigin} (v${info.version}, cross-site: ${info.storage.crossSite})`;
    button.disabled = false;
    button.addEventListener('click', () => {
      run(enclave).catch((err: unknown) => {
        result.textContent =
          err instanceof StrongroomError ? `${err.code}: ${err.message}` : String(err);
      });
    });
  } catch (err) {
    status.textContent =
      err instanceof StrongroomError ? `${err.code}: ${err.message}` : String(err);
  }
}

void main();
