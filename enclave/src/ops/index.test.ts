/**
 * The exposed operation table (`createApi`): what SECURITY.md says the guard sits in front of —
 * a frozen object with a null prototype and exactly the protocol's operations, each an arrow
 * function. Comlink walks any path it is given; this is what such a walk could reach.
 */
import { DEFAULT_RATE_LIMITS, OPERATION_NAMES } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import type { ChannelPolicy } from '../policy/index';

// The constants the enclave's build defines (build/vite-enclave.ts), as a dev build sets them;
// set before the operation table (which reads them through build-info.ts) is loaded.
Object.assign(globalThis, {
  __STRONGROOM_ALLOWED_ORIGINS__: ['https://app.example'],
  __STRONGROOM_VERSION__: 'test',
  __STRONGROOM_DEV__: true,
  __STRONGROOM_BENCH_AUDIT_OFF__: false,
  __STRONGROOM_RATE_LIMITS__: DEFAULT_RATE_LIMITS,
  __STRONGROOM_CONSENT_TIMEOUT_MS__: 8000,
  __STRONGROOM_CONSENT_FIRST_CONNECTION__: false,
});
const { createApi } = await import('./index');

/** A stand-in for the channel policy: it only records which operation it was asked to run. */
const policy = { enforce: async (name: string) => name } as unknown as ChannelPolicy;

describe('createApi', () => {
  describe('when the table is built for a channel', () => {
    const api = createApi(policy);

    it('is frozen and has a null prototype', () => {
      expect(Object.isFrozen(api)).toBe(true);
      expect(Object.getPrototypeOf(api)).toBeNull();
      for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf']) {
        expect((api as unknown as Record<string, unknown>)[name], name).toBeUndefined();
      }
    });

    it('holds exactly the protocol operations, each an arrow function without a prototype', () => {
      expect(Reflect.ownKeys(api).sort()).toEqual([...OPERATION_NAMES].sort());
      for (const name of OPERATION_NAMES) {
        const entry = api[name];
        expect(typeof entry, name).toBe('function');
        expect(Object.hasOwn(entry, 'prototype'), name).toBe(false);
      }
    });

    it('cannot be changed: assigning, deleting or adding an entry throws', async () => {
      const target = api as unknown as Record<string, unknown>;
      expect(() => {
        target.sign = () => 'replaced';
      }).toThrow(TypeError);
      expect(() => {
        delete target.sign;
      }).toThrow(TypeError);
      expect(() => {
        target.evil = () => 'added';
      }).toThrow(TypeError);
      expect(() => Object.setPrototypeOf(api, {})).toThrow(TypeError);
      await expect(api.sign()).resolves.toBe('sign');
    });
  });
});
