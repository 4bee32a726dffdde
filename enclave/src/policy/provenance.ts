/**
 * Provenance: where a key's material came from decides what it may do. A key whose value may
 * be known outside the enclave — derived by `agree` (the peer may be the app page itself),
 * imported by `unwrapKey`, or migrated from before provenance was recorded — is
 * "page-knowable". Such a key:
 *
 * - never acts as the KEK that exports another key (`wrapKey`): the page could unwrap the
 *   output itself and read the exported key in clear;
 * - never imports a key pair (`unwrapKey`): the page could plant a private key it knows.
 *
 * And a key that `wrapKey` exported is never re-imported as another algorithm or purpose.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { KeyAlgorithm, KeyPurpose, KeySource } from '@strongroom/bridge/protocol';
import type { KeyRecord } from '../keystore/schema';
import type { AlgorithmSpec } from '../lib/algorithms';

/** Whether a key of `source` may be known outside the enclave. */
export function isPageKnowable(source: KeySource): boolean {
  return source !== 'generated';
}

function refuse(message: string): StrongroomError {
  return new StrongroomError('OPERATION_NOT_ALLOWED', message);
}

/** `wrapKey`: the target must be exportable and the KEK generated in this enclave. */
export function assertExportAllowed(kek: KeyRecord, target: KeyRecord): void {
  if (!target.exportable || !target.exportMaterial) {
    throw refuse('this key was not created exportable and can never leave the enclave');
  }
  if (isPageKnowable(kek.provenance.source)) {
    throw refuse(
      `a ${kek.provenance.source} KEK may be known outside the enclave and cannot export keys; use a KEK generated here`,
    );
  }
}

/** `unwrapKey`: no key pair under a page-knowable KEK; no cross-algorithm re-import. */
export function assertImportAllowed(
  kek: KeyRecord,
  spec: AlgorithmSpec,
  purpose: KeyPurpose,
  exportedAs: { alg: KeyAlgorithm; purpose: KeyPurpose } | null,
): void {
  if (spec.kind === 'pair' && isPageKnowable(kek.provenance.source)) {
    throw refuse(
      `a ${kek.provenance.source} KEK may be known outside the enclave: key pairs are imported only under a KEK generated here`,
    );
  }
  if (exportedAs && (exportedAs.alg !== spec.alg || exportedAs.purpose !== purpose)) {
    throw refuse(
      `this wrapped key was exported as a ${exportedAs.alg} "${exportedAs.purpose}" key and imports only as one`,
    );
  }
}
