/**
 * `restrictKey(keyId, { maxTokenLifetime?, audiences?, issuers?, subjects?, vapidAudiences?,
 * usesPerMinute? })`: narrow a key's policy. Anything wider than today's is refused
 * (`OPERATION_NOT_ALLOWED`) and nothing changes (`../policy/key-options.ts`).
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';
import { narrowPolicy, POLICY_FIELDS } from '../policy/key-options';
import { assertActive } from '../policy/lifecycle';

/** The `restrictKey` operation. */
export async function restrictKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 2, 2);
  const [keyId, options] = args;
  assertKeyId(keyId);
  assertPlainObject(options, 'options', POLICY_FIELDS);
  return call.change(keyId, (stored) => {
    assertActive(stored);
    return narrowPolicy(stored, options, 'options', call.rateLimits);
  });
}
