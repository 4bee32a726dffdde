import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../bridge/src/protocol';
import { enclaveHeaders, httpsHeaders } from '../enclave-config';
import { canonicalJson } from './canonical-json';
import { ReleaseVerificationError } from './errors';
import {
  assertManifest,
  createManifest,
  type Manifest,
  parseManifest,
  writeManifest,
} from './manifest';
import { releaseDigest } from './release-digest';
import { currentToolchain } from './toolchain';

const COMMIT = 'a'.repeat(40);
// FIPS 180-2 B.1 / D.1: "abc".
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC_SHA384 = 'sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-manifest-'));
  await mkdir(join(dir, 'assets', 'nested'), { recursive: true });
  await writeFile(join(dir, 'index.html'), '<!doctype html>');
  await writeFile(join(dir, 'assets', 'b.js'), 'abc');
  await writeFile(join(dir, 'assets', 'nested', 'a.css'), '');
  await writeFile(join(dir, 'assets-z.txt'), 'z');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = () => ({
  dir,
  name: 'strongroom',
  version: '0.1.0',
  commit: COMMIT,
  allowedOrigins: ['https://b.example', 'https://a.example', 'https://a.example'],
});

function expectMalformed(value: unknown, field: string): void {
  let caught: unknown;
  try {
    assertManifest(value);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ReleaseVerificationError);
  expect((caught as ReleaseVerificationError).code).toBe('MANIFEST_MALFORMED');
  expect((caught as Error).message).toContain(`"${field}`);
}

describe('createManifest', () => {
  it('lists every file sorted by full path, with size, sha256 hex and sha384 SRI', async () => {
    const m = await createManifest(options());
    expect(m.files.map((f) => f.path)).toEqual([
      'assets-z.txt',
      'assets/b.js',
      'assets/nested/a.css',
      'index.html',
    ]);
    expect(m.files[1]).toEqual({
      path: 'assets/b.js',
      size: 3,
      sha256: ABC_SHA256,
      sha384: ABC_SHA384,
    });
    expect(m.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(m.indexHtml.path).toBe('index.html');
    expect(m.indexHtml.sha256).toBe(m.files[3]?.sha256);
    expect(m.releaseDigest).toBe(releaseDigest(m.files));
  });

  it('carries the whole build configuration and the headers per path class (signed with it)', async () => {
    const m = await createManifest({
      ...options(),
      rateLimits: { keyCreationsPerMinute: 7 },
      consentTimeoutMs: 9_000,
    });
    expect(m.buildConfig).toEqual({
      allowedOrigins: m.allowedOrigins,
      rateLimits: { ...DEFAULT_RATE_LIMITS, keyCreationsPerMinute: 7 },
      consentTimeoutMs: 9_000,
      consentOnFirstConnection: false,
    });
    expect(m.headers).toEqual({
      all: enclaveHeaders(m.allowedOrigins),
      https: httpsHeaders(),
      cacheControl: {
        assets: 'public, max-age=31536000, immutable',
        other: 'no-store',
        error: 'no-store',
      },
      contentTypes: expect.objectContaining({
        js: ['application/javascript', 'text/javascript'],
        css: ['text/css'],
      }),
    });
    expect(m.headers.all['Content-Security-Policy']).toContain('worker-src blob:;');
  });

  it('is reproducible: the same folder gives the same bytes', async () => {
    const a = canonicalJson(await createManifest(options()));
    const b = canonicalJson(await createManifest(options()));
    expect(a).toBe(b);
  });

  it('writes canonical JSON that parses back to the same manifest', async () => {
    const m = await createManifest(options());
    const path = await writeManifest(m, join(dir, 'out', 'manifest.json'));
    const bytes = await readFile(path);
    expect(bytes.toString('utf8')).toBe(canonicalJson(m));
    expect(parseManifest(bytes)).toEqual(m);
  });

  describe('when the folder has no index.html', () => {
    it('refuses', async () => {
      await rm(join(dir, 'index.html'));
      await expect(createManifest(options())).rejects.toThrow('no index.html');
    });
  });

  describe('when the folder holds a symbolic link', () => {
    it('refuses it', async () => {
      await symlink('/etc/passwd', join(dir, 'assets', 'link'));
      await expect(createManifest(options())).rejects.toThrow('not a regular file');
    });
  });

  describe('when an origin is a wildcard or not https', () => {
    it.each(['*', 'https://*.example', 'http://app.example'])('refuses %s', async (origin) => {
      await expect(createManifest({ ...options(), allowedOrigins: [origin] })).rejects.toThrow(
        origin,
      );
    });
  });
});

const TOOLCHAIN = {
  node: 'v22.12.0',
  npm: '10.9.0',
  repository: 'https://github.com/strongroom/strongroom.git',
};

describe('the toolchain', () => {
  it('is recorded when given: Node, npm and the repository URL', async () => {
    const m = await createManifest({ ...options(), toolchain: TOOLCHAIN });
    expect(m.toolchain).toEqual(TOOLCHAIN);
    expect(() => assertManifest(m)).not.toThrow();
  });

  it("currentToolchain() is this Node, this npm and package.json's repository as https", () => {
    const t = currentToolchain();
    expect(t.node).toBe(process.version);
    expect(t.npm).toMatch(/^\d+\.\d+\.\d+/);
    expect(t.repository).toBe('https://github.com/strongroom/strongroom.git');
  });

  it('a manifest made before the toolchain was recorded still validates', async () => {
    const m = await createManifest(options());
    expect(m.toolchain).toBeUndefined();
    expect(() => assertManifest(m)).not.toThrow();
  });
});

describe('assertManifest', () => {
  let good: Manifest;
  beforeEach(async () => {
    good = await createManifest(options());
  });
  const edit = (patch: Record<string, unknown>) => ({ ...good, ...patch });
  const file = (patch: Record<string, unknown>) =>
    edit({ files: [{ ...good.files[0], ...patch }, ...good.files.slice(1)] });

  it('accepts a manifest made by createManifest', () => {
    expect(() => assertManifest(good)).not.toThrow();
  });

  describe('when a field is wrong, it names the field', () => {
    it.each<[string, () => unknown, string]>([
      ['not an object', () => [], 'manifest'],
      ['an unknown field', () => edit({ extra: 1 }), 'manifest.extra'],
      ['schemaVersion 1', () => edit({ schemaVersion: 1 }), 'schemaVersion'],
      ['no buildConfig', () => edit({ buildConfig: undefined }), 'buildConfig'],
      [
        'a buildConfig left to defaults',
        () => edit({ buildConfig: { allowedOrigins: good.allowedOrigins } }),
        'buildConfig',
      ],
      [
        'a buildConfig of another allowlist',
        () => edit({ buildConfig: { ...good.buildConfig, allowedOrigins: ['https://x.example'] } }),
        'buildConfig.allowedOrigins',
      ],
      ['no headers', () => edit({ headers: undefined }), 'headers'],
      [
        'a header value with a newline',
        () => edit({ headers: { ...good.headers, all: { 'X-A': 'a\nb' } } }),
        'headers.all.X-A',
      ],
      [
        'a content type that is not a MIME essence',
        () => edit({ headers: { ...good.headers, contentTypes: { js: ['javascript'] } } }),
        'headers.contentTypes.js[0]',
      ],
      ['an empty name', () => edit({ name: '' }), 'name'],
      ['a short commit', () => edit({ commit: 'abc' }), 'commit'],
      ['an uppercase commit', () => edit({ commit: 'A'.repeat(40) }), 'commit'],
      ['no origins', () => edit({ allowedOrigins: [] }), 'allowedOrigins'],
      ['a wildcard origin', () => edit({ allowedOrigins: ['*'] }), 'allowedOrigins[0]'],
      [
        'a foreign indexHtml path',
        () => edit({ indexHtml: { ...good.indexHtml, path: 'a.html' } }),
        'indexHtml.path',
      ],
      ['a path with ..', () => file({ path: '../etc/passwd' }), 'files[0].path'],
      ['an absolute path', () => file({ path: '/etc/passwd' }), 'files[0].path'],
      ['a backslash path', () => file({ path: 'assets\\..\\x' }), 'files[0].path'],
      ['a path with a NUL', () => file({ path: 'a\u0000b' }), 'files[0].path'],
      ['a negative size', () => file({ size: -1 }), 'files[0].size'],
      ['a fractional size', () => file({ size: 1.5 }), 'files[0].size'],
      ['an uppercase sha256', () => file({ sha256: ABC_SHA256.toUpperCase() }), 'files[0].sha256'],
      ['a sha256 SRI in sha384', () => file({ sha384: 'sha256-abc' }), 'files[0].sha384'],
      ['an unknown file field', () => file({ mode: 0o755 }), 'files[0].mode'],
      ['duplicate paths', () => edit({ files: [good.files[0], ...good.files] }), 'files[1].path'],
      [
        'an indexHtml digest that differs from its files entry',
        () => edit({ indexHtml: { ...good.indexHtml, sha256: ABC_SHA256 } }),
        'indexHtml',
      ],
      ['a malformed releaseDigest', () => edit({ releaseDigest: 'abc' }), 'releaseDigest'],
      [
        'a toolchain repository that is an option',
        () => edit({ toolchain: { ...TOOLCHAIN, repository: '--upload-pack=touch /tmp/x' } }),
        'toolchain.repository',
      ],
      [
        'a toolchain repository that is a local path',
        () => edit({ toolchain: { ...TOOLCHAIN, repository: '/home/someone/strongroom' } }),
        'toolchain.repository',
      ],
      [
        'a toolchain repository over ssh or file',
        () => edit({ toolchain: { ...TOOLCHAIN, repository: 'file:///etc' } }),
        'toolchain.repository',
      ],
      [
        'a toolchain Node version that is not one',
        () => edit({ toolchain: { ...TOOLCHAIN, node: '22' } }),
        'toolchain.node',
      ],
      [
        'an unknown toolchain field',
        () => edit({ toolchain: { ...TOOLCHAIN, yarn: '1.0.0' } }),
        'toolchain.yarn',
      ],
      [
        'a releaseDigest of other files',
        () => edit({ releaseDigest: ABC_SHA256 }),
        'releaseDigest',
      ],
    ])('%s', (_name, value, field) => {
      expectMalformed(value(), field);
    });
  });

  describe('when the bytes are not JSON', () => {
    it('parseManifest fails with MANIFEST_MALFORMED', () => {
      expect(() => parseManifest(new TextEncoder().encode('{'))).toThrow(ReleaseVerificationError);
    });
  });
});
