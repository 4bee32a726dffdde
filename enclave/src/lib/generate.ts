/**
 * Key generation that survives WebKitGTK's transient failures. WebKitGTK 2.50 now and then
 * rejects a generation it otherwise supports with an `OperationError` that the next call does
 * not repeat (measured in a WebKitGTK 2.50.6 page, 2026-11-30: 18 of 2,000 Ed25519 and 2 of
 * 2,000 X25519 generations). Generating has no side effects, so trying again is safe; every
 * generation of an asymmetric key in the enclave goes through here.
 */

/** Attempts before a generation's failure is reported (a third failure in a row: ~1e-6). */
export const GENERATE_ATTEMPTS = 3;

/**
 * Run `attempt` until it resolves, at most `attempts` times; rejects with the last failure.
 * Only for operations without side effects.
 */
export async function retrying<T>(
  attempt: () => Promise<T>,
  attempts: number = GENERATE_ATTEMPTS,
): Promise<T> {
  let failure: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await attempt();
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}

/** `crypto.subtle.generateKey`, tried up to {@link GENERATE_ATTEMPTS} times. */
export function generateKeyRetrying(
  params: AlgorithmIdentifier | EcKeyGenParams | RsaHashedKeyGenParams | AesKeyGenParams,
  extractable: boolean,
  usages: readonly KeyUsage[],
): Promise<CryptoKeyPair | CryptoKey> {
  return retrying(
    () =>
      crypto.subtle.generateKey(params, extractable, [...usages]) as Promise<
        CryptoKeyPair | CryptoKey
      >,
  );
}
