/**
 * What a published `@strongroom/bridge` gives its users: one entry in the `exports` map, built ES
 * modules and declarations that exist, every public option and result type exported from it
 * and no wire internals, a self-contained build for pages without a bundler (with its SRI
 * value), and a tarball that holds what publishing needs (README, LICENSE, CHANGELOG, metadata)
 * and no sources or tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltBridge, buildBridge, withJsExtensions } from '../build/build-bridge';
import { sha384Sri } from '../build/release/digest';

const dir = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as {
  name: string;
  license: string;
  exports: Record<string, unknown>;
  files: string[];
  repository: { url: string; directory: string };
  homepage: string;
  bugs: { url: string };
  engines: { node: string };
  publishConfig: { access: string };
  dependencies: Record<string, string>;
};
const rootPkg = JSON.parse(readFileSync(`${dir}../package.json`, 'utf8')) as {
  license: string;
  engines: { node: string };
  repository: { url: string };
};

/** protocol.ts declarations that are the wire format between bridge and enclave, not API. */
const WIRE_TYPES = [
  'ReadyMessage',
  'RefusedMessage',
  'RefusalReason',
  'ConnectMessage',
  'AcceptedMessage',
  'BatchMessage',
  'ConsentMessage',
  'VaultMessage',
  'EnclaveApi',
];
/** Runtime values of the wire format that must not be reachable from the package. */
const WIRE_VALUES = [
  'serializeError',
  'deserializeError',
  'isErrorCode',
  'DECRYPTION_FAILED_MESSAGE',
  'PROTOCOL_VERSION',
  'OPERATION_NAMES',
  'OPERATION_MAX_ARGS',
  'MAX_BATCH_MESSAGES',
];

let built: BuiltBridge;

beforeAll(async () => {
  built = await buildBridge();
}, 120_000);

describe('the published bridge package', () => {
  it('exports one entry (types first), and package.json', () => {
    expect(pkg.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    });
    expect(existsSync(`${dir}dist/index.js`)).toBe(true);
    expect(existsSync(`${dir}dist/index.d.ts`)).toBe(true);
  });

  it('has the metadata publishing needs', () => {
    expect(pkg.license).toBe(rootPkg.license);
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.repository.url).toBe(rootPkg.repository.url);
    expect(pkg.repository.directory).toBe('bridge');
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
    expect(pkg.engines.node).toBe(rootPkg.engines.node);
    expect(pkg.publishConfig.access).toBe('public');
    expect(readFileSync(`${dir}LICENSE`, 'utf8')).toContain('Apache License');
    expect(readFileSync(`${dir}LICENSE`, 'utf8')).toContain('Version 2.0, January 2004');
    expect(readFileSync(`${dir}CHANGELOG.md`, 'utf8')).toMatch(/^## 0\.1\.0/m);
  });

  it('packs dist, README, LICENSE and CHANGELOG: no sources, no tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files =
      (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining([
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'dist/index.d.ts',
        'dist/index.js',
        'dist/strongroom-bridge.js',
        'package.json',
      ]),
    );
    expect(
      files.filter((f) => !f.startsWith('dist/') && !/^[A-Z]/.test(f) && f !== 'package.json'),
    ).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.endsWith('.test.ts'))).toEqual([]);
  });

  it('writes every relative import of its declarations with a .js extension', () => {
    const index = readFileSync(`${dir}dist/index.d.ts`, 'utf8');
    expect(index).toContain("from './connect.js'");
    expect(index).not.toMatch(/from '\.\/[a-z-]+'/);
    expect(withJsExtensions("export { a } from './a';\nimport('./b');", () => true)).toBe(
      "export { a } from './a.js';\nimport('./b.js');",
    );
    expect(() => withJsExtensions("export * from './missing';", () => false)).toThrow(
      'names no module',
    );
  });

  it('imports in plain Node from dist, with the public API and no wire internals', async () => {
    const index = (await import(`${dir}dist/index.js`)) as Record<string, unknown>;
    expect(typeof index.connect).toBe('function');
    expect(index.ERROR_CODES).toContain('KEY_NOT_FOUND');
    const Err = index.StrongroomError as new (code: string, message: string) => Error;
    const isErr = index.isStrongroomError as (e: unknown, code?: string) => boolean;
    expect(isErr(new Err('KEY_NOT_FOUND', 'no such key'), 'KEY_NOT_FOUND')).toBe(true);
    for (const name of WIRE_VALUES) expect(index, name).not.toHaveProperty(name);
  });

  it('exports every option and result type of protocol.ts from the root, and no wire type', () => {
    const protocol = readFileSync(`${dir}src/protocol.ts`, 'utf8');
    const declared = [...protocol.matchAll(/^export (?:interface|type) (\w+)/gm)].map(
      (m) => m[1] ?? '',
    );
    const index = readFileSync(`${dir}dist/index.d.ts`, 'utf8');
    const exported = new Set([...index.matchAll(/\btype (\w+)/g)].map((m) => m[1]));
    const missing = declared.filter((name) => !WIRE_TYPES.includes(name) && !exported.has(name));
    expect(missing).toEqual([]);
    for (const name of WIRE_TYPES) expect(exported.has(name), name).toBe(false);
    for (const name of [
      'SealOptions',
      'SignJwtOptions',
      'VapidAuthOptions',
      'AgreeOptions',
      'OpenOptions',
      'UnwrapKeyOptions',
      'DecryptJweResult',
      'JsonObject',
      'JsonValue',
      'TransferOption',
      'ReconnectOptions',
      'ReconnectCallOptions',
      'ConnectOptions',
      'StrongroomErrorCode',
    ]) {
      expect(exported.has(name), name).toBe(true);
    }
    // Every option of a public method has a name a user can import: no inline object types.
    const enclave = readFileSync(`${dir}dist/enclave.d.ts`, 'utf8');
    const methods = enclave
      .slice(enclave.indexOf('export declare class Enclave'))
      .replace(/\/\*\*[\s\S]*?\*\//g, '');
    expect(methods).toContain('reconnect(options?: ReconnectCallOptions)');
    expect(methods).not.toMatch(/\w+\??: \{/);
  });

  it('builds a self-contained ES module (Comlink inlined) and reports its sha384', async () => {
    const code = readFileSync(built.standalone.path);
    expect(built.standalone.path).toBe(`${dir}dist/strongroom-bridge.js`);
    expect(built.standalone.integrity).toBe(sha384Sri(code));
    expect(built.standalone.integrity).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
    const text = code.toString('utf8');
    expect(text).not.toMatch(/\bfrom\s*["'][^"'./]/);
    expect(text).not.toMatch(/\bimport\s*\(\s*["'][^"'./]/);
    const standalone = (await import(built.standalone.path)) as Record<string, unknown>;
    expect(typeof standalone.connect).toBe('function');
    expect(typeof standalone.StrongroomError).toBe('function');
    for (const name of WIRE_VALUES) expect(standalone, name).not.toHaveProperty(name);
  });

  it('prints the SRI value when run as a command', () => {
    const out = execFileSync(
      process.execPath,
      [`${dir}../node_modules/tsx/dist/cli.mjs`, `${dir}../build/build-bridge.ts`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    expect(out).toContain(`integrity="${sha384Sri(readFileSync(built.standalone.path))}"`);
  }, 120_000);
});
