/**
 * Start the key worker. The worker's URL is a constant of the bundle; under the enclave's
 * `require-trusted-types-for 'script'` CSP it goes through a Trusted Types policy that accepts
 * that one URL and nothing else.
 */
import workerUrl from './worker.ts?worker&url';

interface TrustedTypePolicyLike {
  createScriptURL(input: string): unknown;
}
interface TrustedTypesLike {
  createPolicy(
    name: string,
    rules: { createScriptURL: (input: string) => string },
  ): TrustedTypePolicyLike;
}

function trustedScriptUrl(url: string): string | URL {
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

/** Start the key worker from the bundled worker script. */
export function loadWorker(): Worker {
  const url = new URL(workerUrl, location.href).href;
  return new Worker(trustedScriptUrl(url), { type: 'module', name: 'strongroom-key-worker' });
}
