/**
 * The packed `@strongroom/bridge` in a consumer project outside this repository, type-checked
 * under every `moduleResolution` a user may have (`bundler`, `node16`, `nodenext`), with and
 * without `skipLibCheck` (Vite apps set it). A deliberate type error must be reported in each:
 * with broken declarations, `skipLibCheck` used to turn every bridge type into `any` silently.
 * The consumer is the README example plus every public option and result type; the wire
 * internals must not be importable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBridge } from './build-bridge';
import { ROOT } from './vite-enclave';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'strongroom-consumer-'));
const app = join(work, 'app');

/** The README's 30-second example, every public type by name, and what must not type-check. */
const MAIN = `import {
  type AgreeOptions,
  type ConnectOptions,
  connect,
  type DecryptJweResult,
  type Enclave,
  type EnclaveInfo,
  type GenerateKeyOptions,
  type JsonObject,
  type JsonValue,
  type KeyInfo,
  type OpenOptions,
  type PublicJwk,
  type SealOptions,
  type SignJwtOptions,
  StrongroomError,
  type StrongroomErrorCode,
  type TransferOption,
  type UnwrapKeyOptions,
  type VapidAuthOptions,
} from '@strongroom/bridge';
// @ts-expect-error wire internals are not exported from the package
import { serializeError } from '@strongroom/bridge';
// @ts-expect-error nor is any subpath
import type { SerializedError } from '@strongroom/bridge/errors';

const options: ConnectOptions = { url: 'https://kms.app.example/' };
const enclave: Enclave = await connect(options);
const key = await enclave.generateKey({ alg: 'EdDSA', purpose: 'sign', label: 'identity' });
const signature = await enclave.sign(key.id, new TextEncoder().encode('hello'));
console.log(key.publicJwk, signature);

try {
  await enclave.sign('no-such-key', new Uint8Array());
} catch (err) {
  if (err instanceof StrongroomError) {
    const code: StrongroomErrorCode = err.code;
    console.log(code);
  }
}

const info: EnclaveInfo = await enclave.info();
const described: KeyInfo = key;
const generate: GenerateKeyOptions = { alg: 'ES256', purpose: 'vapid' };
const value: JsonValue = [1, 'two', { three: null }];
const claims: JsonObject = { sub: 'user-42', aud: 'https://relay.example', value };
const jwt: SignJwtOptions = { claims, expiresIn: 600 };
const vapid: VapidAuthOptions = { audience: 'https://push.example', subject: 'mailto:ops@app.example' };
const seal: SealOptions & TransferOption = { aad: new Uint8Array(1), transfer: true };
const open: OpenOptions = { aad: new Uint8Array(1) };
const unwrap: UnwrapKeyOptions = { alg: 'A256GCM', purpose: 'seal' };
const agree: AgreeOptions = { info: 'chat v1', alg: 'A256GCM' };
const peer: PublicJwk = key.publicJwk ?? {};
const decrypted: DecryptJweResult = await enclave.decryptJwe(key.id, 'a.b.c.d.e');
const bytes: Uint8Array = decrypted.plaintext;
console.log(info, described, generate, jwt, vapid, seal, open, unwrap, agree, peer, bytes);
console.log(serializeError, ({}) as SerializedError);

// The types are real types, not \`any\`:
// @ts-expect-error a KeyInfo is not a number
const notANumber: number = key;
// @ts-expect-error RS256 is no KeyAlgorithm
await enclave.generateKey({ alg: 'RS256', purpose: 'sign' });
// @ts-expect-error sign() wants bytes
await enclave.sign(key.id, 'hello');
console.log(notANumber);
enclave.dispose();
`;

/** One deliberate error, which tsc must report. */
const BAD = `import { connect } from '@strongroom/bridge';

const enclave = await connect({ url: 'https://kms.app.example/' });
const key = await enclave.generateKey({ alg: 'EdDSA', purpose: 'sign' });
export const wrong: number = key;
`;

const MODES = {
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
} as const;

function tsconfig(mode: keyof typeof MODES, skipLibCheck: boolean, file: string): string {
  const name = `tsconfig.${mode}.${skipLibCheck ? 'skip' : 'check'}.${file}.json`;
  writeFileSync(
    join(app, name),
    JSON.stringify({
      compilerOptions: {
        ...MODES[mode],
        target: 'ES2022',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        strict: true,
        noEmit: true,
        skipLibCheck,
        types: [],
      },
      files: [`src/${file}.ts`],
    }),
  );
  return name;
}

function tsc(config: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [TSC, '-p', config, '--pretty', 'false'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(async () => {
  // The package as published, built into a staging copy of its own (bridge/package.test.ts
  // rebuilds bridge/dist meanwhile, in another test file).
  const stage = join(work, 'bridge-package');
  mkdirSync(stage, { recursive: true });
  for (const name of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    copyFileSync(join(ROOT, 'bridge', name), join(stage, name));
  }
  await buildBridge(join(stage, 'dist'));
  const out = execFileSync(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [packed] = JSON.parse(out) as { filename: string }[];
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  execFileSync(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      join(work, packed?.filename ?? ''),
    ],
    { cwd: app, stdio: 'ignore' },
  );
  writeFileSync(join(app, 'src/main.ts'), MAIN);
  writeFileSync(join(app, 'src/bad.ts'), BAD);
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packed bridge in a consumer project', () => {
  it('installs from its tarball with its declarations', () => {
    const installed = join(app, 'node_modules/@strongroom/bridge');
    expect(readFileSync(join(installed, 'dist/index.d.ts'), 'utf8')).toContain("'./connect.js'");
  });

  describe.each(Object.keys(MODES) as (keyof typeof MODES)[])('moduleResolution %s', (mode) => {
    it.each([true, false])(
      'type-checks the README example (skipLibCheck: %s)',
      (skip) => {
        const { status, output } = tsc(tsconfig(mode, skip, 'main'));
        expect(output).toBe('');
        expect(status).toBe(0);
      },
      120_000,
    );

    it.each([true, false])(
      'reports a deliberate type error (skipLibCheck: %s)',
      (skip) => {
        const { status, output } = tsc(tsconfig(mode, skip, 'bad'));
        expect(status).not.toBe(0);
        expect(output).toMatch(
          /src\/bad\.ts\(5,14\): error TS2322: Type 'KeyInfo' is not assignable to type 'number'\./,
        );
        expect(output.trim().split('\n')).toHaveLength(1);
      },
      120_000,
    );
  });
});
