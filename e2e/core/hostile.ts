/**
 * A hostile client with a raw port: the Comlink escapes (CONSTRUCT on constructor.constructor,
 * SET on __proto__, GET, ENDPOINT, unknown and nested paths, handler-typed arguments) and
 * malformed, wrong-typed and oversized arguments. Each must end in a typed error with a stable
 * code; afterwards the enclave still works and the keystore is exactly as before.
 */
import { encode, type Json } from '../fixtures/src/wire-json';
import type { BrowserFrame } from '../webkit/browser-page';
import { enclaveFrame, openHarness } from './harness';
import { dumpKeystore } from './keystore';
import { type CoreSuite, expect } from './suite';

let counter = 0;
function id(): string {
  counter += 1;
  return `hostile-${counter}`;
}

interface Reply {
  id?: string;
  type?: string;
  name?: string;
  value?: unknown;
}

async function send(
  page: BrowserFrame,
  message: Record<string, unknown>,
  waitMs = 3000,
): Promise<Reply | 'no-reply'> {
  return (await page.evaluate(
    (input: { m: Json; w: number }) => window.sr.rawSend(input.m, input.w),
    {
      m: encode(message),
      w: waitMs,
    },
  )) as Reply | 'no-reply';
}

function raw(value: unknown) {
  return { type: 'RAW', value };
}

function apply(op: string[], ...args: unknown[]) {
  return { id: id(), type: 'APPLY', path: op, argumentList: args.map(raw) };
}

function expectThrown(reply: Reply | 'no-reply', code: string) {
  expect(reply, JSON.stringify(reply).slice(0, 300)).toMatchObject({
    type: 'HANDLER',
    name: 'throw',
    value: { code },
  });
}

/** The hostile-client suites. */
export const HOSTILE: readonly CoreSuite[] = [
  {
    describe: 'when a hostile client holds the port',
    tests: [
      {
        name: 'Comlink escapes and malformed calls are refused with typed errors, and nothing changes',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          expect(await page.evaluate(() => window.sr.rawOpen())).toEqual({ ok: true });

          // A key to protect, and the keystore as it is before the attack.
          const made = await send(page, apply(['generateKey'], { alg: 'EdDSA', label: 'victim' }));
          expect(made).toMatchObject({ type: 'RAW', value: { alg: 'EdDSA', label: 'victim' } });
          const victim = ((made as Reply).value as { id: string }).id;
          const frame = enclaveFrame(page, urls.enclave);
          const before = await dumpKeystore(frame);
          expect(before.map((k) => k.id)).toContain(victim);

          const escapes: [string, Record<string, unknown>][] = [
            [
              'CONSTRUCT constructor.constructor',
              {
                id: id(),
                type: 'CONSTRUCT',
                path: ['constructor', 'constructor'],
                argumentList: [raw('self.close()')],
              },
            ],
            [
              'CONSTRUCT on an operation',
              { id: id(), type: 'CONSTRUCT', path: ['sign'], argumentList: [] },
            ],
            [
              'SET __proto__',
              { id: id(), type: 'SET', path: ['__proto__', 'polluted'], value: raw(1) },
            ],
            ['SET an operation', { id: id(), type: 'SET', path: ['sign'], value: raw(0) }],
            ['GET the root', { id: id(), type: 'GET', path: [] }],
            ['GET an operation', { id: id(), type: 'GET', path: ['sign'] }],
            ['ENDPOINT', { id: id(), type: 'ENDPOINT' }],
            ['APPLY an unknown name', apply(['exportPrivateKey'], victim)],
            ['APPLY __proto__', apply(['__proto__'])],
            ['APPLY constructor', apply(['constructor'], 'return 1')],
            ['APPLY toString', apply(['toString'])],
            ['APPLY a nested path', apply(['sign', 'call'], null, victim, new Uint8Array(1))],
            [
              'APPLY constructor.constructor',
              apply(['constructor', 'constructor'], 'self.close()'),
            ],
            ['APPLY an empty path', apply([])],
            [
              'APPLY with a path that is not an array',
              { id: id(), type: 'APPLY', path: 'sign', argumentList: [] },
            ],
            [
              'APPLY with a handler-typed argument',
              {
                id: id(),
                type: 'APPLY',
                path: ['getKey'],
                argumentList: [{ type: 'HANDLER', name: 'throw', value: {} }],
              },
            ],
            [
              'APPLY with a non-array argument list',
              { id: id(), type: 'APPLY', path: ['listKeys'], argumentList: 'x' },
            ],
            ['an unknown message type', { id: id(), type: 'EXEC', path: ['sign'] }],
            ['a message without a type', { id: id(), path: ['sign'] }],
          ];
          for (const [what, message] of escapes) {
            const reply = await send(page, message);
            expect(reply, what).not.toBe('no-reply');
            expectThrown(reply, 'PROTOCOL_VIOLATION');
          }

          const tooBig = new Uint8Array(1024 * 1024 + 1);
          const malformed: [string, Record<string, unknown>, string][] = [
            [
              'sign: key id of the wrong type',
              apply(['sign'], 42, new Uint8Array(1)),
              'INVALID_ARGUMENT',
            ],
            ['sign: data as a string', apply(['sign'], victim, 'data'), 'INVALID_ARGUMENT'],
            ['sign: data as an array', apply(['sign'], victim, [1, 2, 3]), 'INVALID_ARGUMENT'],
            ['sign: data missing', apply(['sign'], victim), 'INVALID_ARGUMENT'],
            [
              'sign: an extra argument',
              apply(['sign'], victim, new Uint8Array(1), 'extra'),
              'INVALID_ARGUMENT',
            ],
            ['sign: oversized data', apply(['sign'], victim, tooBig), 'PAYLOAD_TOO_LARGE'],
            [
              'verify: oversized signature',
              apply(['verify'], victim, new Uint8Array(1), new Uint8Array(4096)),
              'PAYLOAD_TOO_LARGE',
            ],
            ['getKey: a path-like id', apply(['getKey'], '../keys'), 'INVALID_ARGUMENT'],
            ['getKey: an overlong id', apply(['getKey'], 'a'.repeat(65)), 'PAYLOAD_TOO_LARGE'],
            ['getKey: an unknown id', apply(['getKey'], 'AAAAAAAAAAAAAAAAAAAAAA'), 'KEY_NOT_FOUND'],
            ['getKey: an object', apply(['getKey'], { id: victim }), 'INVALID_ARGUMENT'],
            ['generateKey: null options', apply(['generateKey'], null), 'INVALID_ARGUMENT'],
            [
              'generateKey: options as an array',
              apply(['generateKey'], ['EdDSA']),
              'INVALID_ARGUMENT',
            ],
            [
              'generateKey: an unsupported algorithm',
              apply(['generateKey'], { alg: 'RS256' }),
              'UNSUPPORTED_ALGORITHM',
            ],
            [
              'generateKey: alg "__proto__"',
              apply(['generateKey'], { alg: '__proto__' }),
              'UNSUPPORTED_ALGORITHM',
            ],
            [
              'generateKey: asks for an extractable key',
              apply(['generateKey'], { alg: 'EdDSA', extractable: true }),
              'INVALID_ARGUMENT',
            ],
            [
              'generateKey: an overlong label',
              apply(['generateKey'], { alg: 'EdDSA', label: 'x'.repeat(129) }),
              'PAYLOAD_TOO_LARGE',
            ],
            [
              'generateKey: a label of the wrong type',
              apply(['generateKey'], { alg: 'EdDSA', label: 7 }),
              'INVALID_ARGUMENT',
            ],
            [
              'publicKey: an unknown format',
              apply(['publicKey'], victim, 'pem'),
              'INVALID_ARGUMENT',
            ],
            ['listKeys: unexpected arguments', apply(['listKeys'], 1), 'INVALID_ARGUMENT'],
            ['deleteKey: no argument', apply(['deleteKey']), 'INVALID_ARGUMENT'],
          ];
          for (const [what, message, code] of malformed) {
            const reply = await send(page, message);
            expect(reply, what).not.toBe('no-reply');
            expectThrown(reply, code);
          }

          // Messages with nothing to answer to are dropped without harm, even a well-formed call.
          const idless = [
            null,
            'hello',
            42,
            [],
            { type: 'APPLY', path: ['deleteKey'], argumentList: [raw(victim)] },
            { id: '', type: 'APPLY', path: ['deleteKey'], argumentList: [raw(victim)] },
            { id: 7, type: 'APPLY', path: ['deleteKey'], argumentList: [raw(victim)] },
          ];
          for (const junk of idless) {
            expect(await send(page, junk as unknown as Record<string, unknown>, 300)).toBe(
              'no-reply',
            );
          }

          // The enclave still works, and the keystore is exactly as before.
          const after = await send(page, apply(['listKeys']));
          expect(after).toMatchObject({ type: 'RAW' });
          expect(((after as Reply).value as { id: string }[]).map((k) => k.id)).toEqual(
            before.map((k) => k.id),
          );
          expect(await dumpKeystore(frame)).toEqual(before);
          const signed = await send(page, apply(['sign'], victim, new Uint8Array([1])));
          expect(signed).toMatchObject({ type: 'RAW' });
        },
      },
      {
        name: 'errors carry only a code and a message: no stack, no internals',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          expect(await page.evaluate(() => window.sr.rawOpen())).toEqual({ ok: true });
          const reply = (await send(page, apply(['getKey'], 'AAAAAAAAAAAAAAAAAAAAAA'))) as Reply;
          expect(reply.value).toEqual({ code: 'KEY_NOT_FOUND', message: 'no such key' });
        },
      },
    ],
  },
];
