/**
 * The policy options of a key — purpose, token lifetime and allowlists, uses per minute,
 * `exportable` — validated for a new key (`generateKey`, `unwrapKey`, `agree`) and for a
 * narrowing (`restrictKey`). They arrive from the app's page and are untrusted; an option
 * that does not apply to the key's purpose is refused, never ignored.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import {
  type KeyPurpose,
  LIMITS,
  type RateLimits,
  type TokenPolicy,
} from '@strongroom/bridge/protocol';
import { DEV } from '../build-info';
import type { StoredKeyRecord } from '../keystore/schema';
import type { AlgorithmSpec } from '../lib/algorithms';
import { assertSeconds } from '../lib/key-options';
import { assertString } from '../lib/validate';
import { assertVapidAudience } from '../lib/vapid';
import { assertPurposeFor } from './purposes';

/** The option names of a key's policy (also the fields of `restrictKey`). */
export const POLICY_FIELDS = [
  'maxTokenLifetime',
  'audiences',
  'issuers',
  'subjects',
  'vapidAudiences',
  'usesPerMinute',
  'presence',
  'presenceEveryMinutes',
] as const;

type ListField = 'audiences' | 'issuers' | 'subjects' | 'vapidAudiences';

/** The purposes each policy option applies to. */
const APPLIES_TO: { readonly [F in (typeof POLICY_FIELDS)[number]]: readonly KeyPurpose[] | null } =
  {
    maxTokenLifetime: ['jwt', 'vapid'],
    audiences: ['jwt'],
    issuers: ['jwt'],
    subjects: ['jwt', 'vapid'],
    vapidAudiences: ['vapid'],
    usesPerMinute: null,
    presence: null,
    presenceEveryMinutes: null,
  };

/** A validated policy of a new key. */
export interface NewKeyPolicy {
  readonly purpose: KeyPurpose;
  readonly label: string;
  readonly exportable: boolean;
  readonly backup: boolean;
  readonly maxTokenLifetime: number;
  readonly tokenPolicy: TokenPolicy;
  readonly usesPerMinute: number | null;
  readonly presence: boolean;
  readonly presenceEveryMinutes: number;
}

/** Validate `presence` and `presenceEveryMinutes` (the latter only with presence). */
function presenceOptions(
  options: Record<string, unknown>,
  field: string,
  presenceNow: boolean,
): { presence: boolean; presenceEveryMinutes: number | undefined } {
  const { presence = presenceNow, presenceEveryMinutes } = options;
  if (typeof presence !== 'boolean') {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.presence" expected boolean`);
  }
  if (presenceEveryMinutes !== undefined) {
    if (
      typeof presenceEveryMinutes !== 'number' ||
      !Number.isSafeInteger(presenceEveryMinutes) ||
      presenceEveryMinutes < 0 ||
      presenceEveryMinutes > LIMITS.maxPresenceMinutes
    ) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `"${field}.presenceEveryMinutes" expected an integer from 0 to ${LIMITS.maxPresenceMinutes}`,
      );
    }
    if (!presence) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `"${field}.presenceEveryMinutes" applies only with "presence: true"`,
      );
    }
  }
  return { presence, presenceEveryMinutes };
}

function assertApplies(field: string, name: keyof typeof APPLIES_TO, purpose: KeyPurpose): void {
  const purposes = APPLIES_TO[name];
  if (purposes && !purposes.includes(purpose)) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}.${name}" applies only to ${purposes.map((p) => `"${p}"`).join(' and ')} keys`,
    );
  }
}

function assertList(value: unknown, field: string, name: ListField): readonly string[] {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.${name}" expected an array`);
  }
  if (value.length === 0 || value.length > LIMITS.maxPolicyValues) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}.${name}" expected 1 to ${LIMITS.maxPolicyValues} values`,
    );
  }
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = Object.hasOwn(value, i) ? value[i] : undefined;
    const where = `${field}.${name}[${i}]`;
    if (name === 'vapidAudiences') assertVapidAudience(entry, where, DEV);
    else assertString(entry, where, LIMITS.maxPolicyValueLength);
    if (entry === '') throw new StrongroomError('INVALID_ARGUMENT', `"${where}" is empty`);
    if (!out.includes(entry)) out.push(entry);
  }
  return out;
}

function assertUsesPerMinute(value: unknown, field: string, limits: RateLimits): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > limits.keyUsesPerMinute
  ) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}.usesPerMinute" expected an integer from 1 to ${limits.keyUsesPerMinute}`,
    );
  }
  return value;
}

/** Validate the options of a new key of `spec` for `purpose`. */
export function newKeyPolicy(
  spec: AlgorithmSpec,
  options: Record<string, unknown>,
  field: string,
  limits: RateLimits,
): NewKeyPolicy {
  const { purpose, label = '', exportable = false, backup = false } = options;
  assertPurposeFor(purpose, spec.alg, `${field}.purpose`);
  assertString(label, `${field}.label`, LIMITS.maxLabelLength);
  if (typeof exportable !== 'boolean') {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.exportable" expected boolean`);
  }
  if (exportable && spec.kind !== 'secret') {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}.exportable" is available for secret keys only (A256GCM, A256KW, HS256)`,
    );
  }
  if (typeof backup !== 'boolean') {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.backup" expected boolean`);
  }
  for (const name of POLICY_FIELDS) {
    if (options[name] !== undefined) assertApplies(field, name, purpose);
  }
  const { maxTokenLifetime, usesPerMinute } = options;
  if (maxTokenLifetime !== undefined) {
    assertSeconds(maxTokenLifetime, `${field}.maxTokenLifetime`, LIMITS.maxTokenLifetime);
  }
  const list = (name: ListField) =>
    options[name] === undefined ? null : assertList(options[name], field, name);
  return {
    purpose,
    label,
    exportable,
    backup,
    maxTokenLifetime:
      maxTokenLifetime ??
      (purpose === 'vapid' ? LIMITS.maxVapidLifetime : LIMITS.defaultTokenLifetime),
    tokenPolicy: {
      audiences: list('audiences'),
      issuers: list('issuers'),
      subjects: list('subjects'),
      vapidAudiences: list('vapidAudiences'),
    },
    usesPerMinute:
      usesPerMinute === undefined ? null : assertUsesPerMinute(usesPerMinute, field, limits),
    ...(() => {
      const p = presenceOptions(options, field, false);
      return { presence: p.presence, presenceEveryMinutes: p.presenceEveryMinutes ?? 0 };
    })(),
  };
}

function narrower(message: string): StrongroomError {
  return new StrongroomError(
    'OPERATION_NOT_ALLOWED',
    `${message}: a key's policy can be narrowed, never widened`,
  );
}

/**
 * Validate a `restrictKey` request against the stored record and return the narrowed record.
 * Anything wider than the current policy is refused, and nothing changes.
 */
export function narrowPolicy(
  stored: StoredKeyRecord,
  options: Record<string, unknown>,
  field: string,
  limits: RateLimits,
): StoredKeyRecord {
  const names = POLICY_FIELDS.filter((name) => options[name] !== undefined);
  if (names.length === 0) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" names no policy field to narrow`);
  }
  for (const name of names) assertApplies(field, name, stored.purpose);
  let next: StoredKeyRecord = { ...stored, tokenPolicy: { ...stored.tokenPolicy } };
  const { maxTokenLifetime, usesPerMinute } = options;
  if (maxTokenLifetime !== undefined) {
    assertSeconds(maxTokenLifetime, `${field}.maxTokenLifetime`, LIMITS.maxTokenLifetime);
    if (maxTokenLifetime > stored.maxTokenLifetime) {
      throw narrower(`"${field}.maxTokenLifetime" is longer than ${stored.maxTokenLifetime} s`);
    }
    next = { ...next, maxTokenLifetime };
  }
  if (usesPerMinute !== undefined) {
    const value = assertUsesPerMinute(usesPerMinute, field, limits);
    const current = Math.min(
      stored.usesPerMinute ?? limits.keyUsesPerMinute,
      limits.keyUsesPerMinute,
    );
    if (value > current) throw narrower(`"${field}.usesPerMinute" is more than ${current}`);
    next = { ...next, usesPerMinute: value };
  }
  if (options.presence !== undefined || options.presenceEveryMinutes !== undefined) {
    const current = stored.presence ?? false;
    const p = presenceOptions(options, field, current);
    if (current && !p.presence) throw narrower(`"${field}.presence" cannot be turned off`);
    const every = p.presenceEveryMinutes ?? (current ? stored.presenceEveryMinutes : 0);
    if (current && every > stored.presenceEveryMinutes) {
      throw narrower(`"${field}.presenceEveryMinutes" is more than ${stored.presenceEveryMinutes}`);
    }
    next = { ...next, presence: p.presence, presenceEveryMinutes: every };
  }
  for (const name of ['audiences', 'issuers', 'subjects', 'vapidAudiences'] as const) {
    if (options[name] === undefined) continue;
    const list = assertList(options[name], field, name);
    const current = stored.tokenPolicy[name];
    if (current && !list.every((v) => current.includes(v))) {
      throw narrower(`"${field}.${name}" names a value the key does not allow now`);
    }
    next = { ...next, tokenPolicy: { ...next.tokenPolicy, [name]: list } };
  }
  return next;
}
