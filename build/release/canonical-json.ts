/**
 * Canonical JSON for the release tooling: the enclave's own implementation
 * (`enclave/src/lib/canonical-json.ts`), which also serialises audit entries, so that both
 * hash exactly the same bytes.
 */
export { canonicalJson, type JsonValue } from '../../enclave/src/lib/canonical-json';
