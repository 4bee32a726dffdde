/**
 * The enclave's clock for policy decisions: deletion dates and rate-limit buckets.
 *
 * In development and test builds only (`DEV`), a test page on the enclave's origin can move
 * it forward: the `dev:clock-offset` entry of the `meta` store is read when a worker starts,
 * and a message (the offset in milliseconds) on the BroadcastChannel of the same name changes
 * it in running workers.
 * Release builds compile that branch out (checked by `dev-seams.test.ts`); their clock is
 * `Date.now()`.
 */
import type { IDBPDatabase } from 'idb';
import { DEV } from '../build-info';
import type { StrongroomDB } from '../keystore/schema';

/** The `meta` entry and the channel of the dev-only clock offset. */
export const DEV_CLOCK_NAME = 'dev:clock-offset';

let offsetMs = 0;

/** Milliseconds since the epoch, as the policy sees them. */
export function now(): number {
  return Date.now() + offsetMs;
}

function setOffset(value: unknown): void {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) offsetMs = value;
}

/** Dev builds only: read the stored offset and follow changes to it. No-op in release builds. */
export async function installDevClock(db: IDBPDatabase<StrongroomDB> | null): Promise<void> {
  if (!DEV) return;
  const channel = new BroadcastChannel(DEV_CLOCK_NAME);
  channel.onmessage = (event: MessageEvent<unknown>) => setOffset(event.data);
  if (db) setOffset((await db.get('meta', DEV_CLOCK_NAME).catch(() => undefined))?.offsetMs);
}
