/**
 * Start the key worker so that none of its code runs unverified: the page fetches the worker
 * script with `fetch(url, { integrity })` (the browser rejects bytes whose sha384 differs),
 * wraps the verified bytes in a Blob and starts a module worker from its blob URL. The path and
 * integrity are constants compiled in by the build (`build/vite-enclave.ts`, phase 2). Under
 * the enclave's `require-trusted-types-for 'script'` CSP the blob URL goes through a Trusted
 * Types policy that accepts that one URL and nothing else.
 */
import { mark } from './lib/boot-marks';

declare const __STRONGROOM_WORKER_PATH__: string;
declare const __STRONGROOM_WORKER_INTEGRITY__: string;

/** Release path of the key worker script, e.g. `assets/worker-3f2a.js`. */
export const WORKER_PATH: string = __STRONGROOM_WORKER_PATH__;
/** sha384 SRI of the key worker script. */
export const WORKER_INTEGRITY: string = __STRONGROOM_WORKER_INTEGRITY__;

interface TrustedTypePolicyLike {
  createScriptURL(input: string): unknown;
}
interface TrustedTypesLike {
  createPolicy(
    name: string,
    rules: { createScriptURL: (input: string) => string },
  ): TrustedTypePolicyLike;
}

function trustedScriptUrl(url: string): string {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!tt) return url;
  const policy = tt.createPolicy('strongroom', {
    createScriptURL(input) {
      if (input !== url) throw new TypeError('unexpected script URL');
      return input;
    },
  });
  // A TrustedScriptURL is accepted wherever a string URL is.
  return policy.createScriptURL(url) as string;
}

/**
 * Fetch the worker script with its integrity and return a blob URL of the verified bytes.
 * Rejects (a `TypeError` from `fetch`) when the bytes do not match, or on any HTTP error.
 */
export async function fetchWorkerScript(): Promise<string> {
  const url = new URL(WORKER_PATH, document.baseURI);
  const res = await fetch(url, {
    integrity: WORKER_INTEGRITY,
    credentials: 'same-origin',
    redirect: 'error',
  });
  mark('worker-response');
  if (!res.ok) throw new TypeError(`worker script: HTTP ${res.status}`);
  const bytes = await res.arrayBuffer();
  mark('worker-verified');
  return URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
}

/** Start the key worker from a blob URL made by {@link fetchWorkerScript}. */
export function startWorker(blobUrl: string): Worker {
  return new Worker(trustedScriptUrl(blobUrl), { type: 'module', name: 'strongroom-key-worker' });
}
