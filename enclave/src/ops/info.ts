/**
 * `info()`: what the enclave is (version, release digest, algorithms, limits) and what it
 * knows about this channel (the bound caller origin) and its storage.
 */
import {
  type EnclaveInfo,
  KEY_ALGORITHMS,
  LIMITS,
  PROTOCOL_VERSION,
} from '@strongroom/bridge/protocol';
import { DEV, VERSION } from '../build-info';
import { assertArity } from '../lib/validate';
import type { Call } from '../policy/index';

async function persisted(): Promise<boolean | null> {
  // `persisted()` only reads. `persist()` is the enclave document's (`persistence.ts`): a
  // worker may not call it, and it may prompt (headless Firefox would wait forever).
  const storage = (self.navigator as Navigator | undefined)?.storage;
  if (!storage || typeof storage.persisted !== 'function') return null;
  try {
    return await storage.persisted();
  } catch {
    return null;
  }
}

/** The `info` operation. */
export async function info(call: Call, args: unknown[]): Promise<EnclaveInfo> {
  assertArity(args, 0, 0);
  const { ctx } = call;
  // The request's answer first: once granted, `persisted()` reads true.
  const persistRequest = await ctx.persistRequest();
  const result: EnclaveInfo = {
    name: 'strongroom',
    version: VERSION,
    protocol: PROTOCOL_VERSION,
    // Known before any answer: the document may finish it after the handshake (main.ts).
    releaseDigest: await ctx.releaseDigest(),
    algorithms: [...KEY_ALGORITHMS],
    origin: ctx.callerOrigin,
    enclaveOrigin: ctx.enclaveOrigin,
    storage: {
      crossSite: ctx.crossSite,
      partitioned: ctx.crossSite ? true : null,
      persisted: await persisted(),
      persistRequest,
    },
    limits: { ...LIMITS },
    rateLimits: { ...call.rateLimits },
    vault: await call
      .vault()
      .info()
      .catch(() => ({ enabled: false, locked: false, idleMinutes: null, methods: [] })),
  };
  // Dev and test builds only: where the start-up went (lib/boot-marks.ts; the bench reads it).
  // Not part of EnclaveInfo; release builds drop this branch.
  if (DEV && ctx.devBoot) return Object.assign(result, { devBoot: ctx.devBoot() });
  return result;
}
