import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signManifest } from '../../build/release/sign';
import { main } from './main';
import type { CommandRunner } from './rebuild';
import { rebuild } from './rebuild';
import { bytesOf, type FixtureRelease, makeRelease, p256 } from './test-fixtures';

const COMMIT = '1'.repeat(40);
const roots: string[] = [];
afterEach(async () => {
  const { rm } = await import('node:fs/promises');
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

/** A fake toolchain: `npm run build` copies `from` into dist/enclave; records every call. */
function fakeRunner(from: string, commit = COMMIT) {
  const calls: string[] = [];
  const run: CommandRunner = async (command, args, { cwd }) => {
    calls.push([command, ...args].join(' '));
    if (command === 'git' && args[0] === 'clone')
      await mkdir(args.at(-1) ?? '', { recursive: true });
    if (command === 'git' && args[0] === 'rev-parse') return { stdout: `${commit}\n` };
    if (command === 'npm' && args.join(' ') === 'run build')
      await cp(from, join(cwd, 'dist', 'enclave'), { recursive: true });
    return { stdout: '' };
  };
  return { run, calls };
}

async function release(): Promise<FixtureRelease> {
  const r = await makeRelease({ commit: COMMIT });
  roots.push(r.root);
  return r;
}

describe('rebuild', () => {
  it('clones at the ref, installs without scripts, builds, and hashes dist/enclave', async () => {
    const r = await release();
    const { run, calls } = fakeRunner(r.dir);
    const result = await rebuild('v0.1.0', 'https://github.com/acme/strongroom.git', run);
    expect(calls).toEqual([
      expect.stringMatching(
        /^git clone --quiet --no-checkout -- https:\/\/github.com\/acme\/strongroom.git \S+$/,
      ),
      'git -c advice.detachedHead=false checkout --quiet --detach v0.1.0',
      'git rev-parse HEAD',
      'npm ci --ignore-scripts --no-audit --no-fund',
      'npm run build',
    ]);
    expect(result.commit).toBe(COMMIT);
    expect(result.files).toEqual(r.manifest.files);
  });

  it("builds with the manifest's build configuration, not the repository's or the environment's", async () => {
    const r = await makeRelease({ commit: COMMIT });
    roots.push(r.root);
    let seen: { config: unknown; env: NodeJS.ProcessEnv | undefined } | undefined;
    const { run: copy } = fakeRunner(r.dir);
    const run: CommandRunner = async (command, args, options) => {
      if (command === 'npm' && args.join(' ') === 'run build') {
        seen = {
          config: JSON.parse(await readFile(join(options.cwd, 'strongroom.config.json'), 'utf8')),
          env: options.env,
        };
      }
      return copy(command, args, options);
    };
    const previous = process.env.STRONGROOM_ALLOWED_ORIGINS;
    process.env.STRONGROOM_ALLOWED_ORIGINS = 'https://elsewhere.example';
    try {
      await rebuild('v0.1.0', '.', run, {
        buildConfig: { ...r.manifest.buildConfig, consentTimeoutMs: 9_000 },
        version: '0.3.0',
      });
    } finally {
      if (previous === undefined) delete process.env.STRONGROOM_ALLOWED_ORIGINS;
      else process.env.STRONGROOM_ALLOWED_ORIGINS = previous;
    }
    expect(seen?.config).toEqual({ ...r.manifest.buildConfig, consentTimeoutMs: 9_000 });
    expect(seen?.config).toMatchObject({
      rateLimits: expect.any(Object),
      consentOnFirstConnection: false,
    });
    expect(seen?.env?.STRONGROOM_ALLOWED_ORIGINS).toBeUndefined();
    expect(seen?.env?.STRONGROOM_RELEASE_VERSION).toBe('0.3.0');
  });

  describe('when the ref or repository looks like an option', () => {
    it.each([
      ['--upload-pack=touch /tmp/pwned', 'https://x'],
      ['v1', '--upload-pack=evil'],
      ['v1 ; rm -rf /', '.'],
    ])('refuses ref %j repo %j without running anything', async (ref, repo) => {
      const { run, calls } = fakeRunner('/nonexistent');
      await expect(rebuild(ref, repo, run)).rejects.toThrow('is not allowed');
      expect(calls).toEqual([]);
    });
  });
});

describe('strongroom-verify --rebuild', () => {
  async function verify(r: FixtureRelease, builtFrom: string, commit = COMMIT) {
    const key = p256();
    const bundlePath = join(r.root, 'release', 'bundle.json');
    const keyPath = join(r.root, 'release', 'pub.pem');
    await writeFile(
      bundlePath,
      JSON.stringify(
        await signManifest(bytesOf(r), { kind: 'key', privateKeyPem: key.privateKeyPem }),
      ),
    );
    await writeFile(keyPath, key.publicKeyPem);
    let stdout = '';
    const { run } = fakeRunner(builtFrom, commit);
    const code = await main(
      [
        '--dir',
        r.dir,
        '--manifest',
        r.manifestPath,
        '--bundle',
        bundlePath,
        '--key',
        keyPath,
        '--rebuild',
        'v0.1.0',
        '--json',
      ],
      { run, out: (t) => (stdout += t) },
    );
    return {
      code,
      rows: (JSON.parse(stdout) as { rows: { check: string; subject: string; ok: boolean }[] })
        .rows,
    };
  }

  describe('when the build reproduces the release', () => {
    it('passes', async () => {
      const r = await release();
      const { code, rows } = await verify(r, r.dir);
      expect(rows.filter((row) => row.check === 'rebuild').every((row) => row.ok)).toBe(true);
      expect(code).toBe(0);
    });
  });

  describe('when the build produces different bytes', () => {
    it('fails the differing file', async () => {
      const r = await release();
      const other = await makeRelease({ commit: COMMIT, script: 'export const main = 3;\n' });
      roots.push(other.root);
      const { code, rows } = await verify(r, other.dir);
      expect(code).toBe(1);
      expect(rows.filter((row) => !row.ok).map((row) => row.subject)).toEqual(
        expect.arrayContaining(['assets/main-1a2b.js', 'index.html', 'dist/enclave']),
      );
    });
  });

  describe('when the ref resolves to another commit than the manifest names', () => {
    it('fails the commit row', async () => {
      const r = await release();
      const { code, rows } = await verify(r, r.dir, '2'.repeat(40));
      expect(code).toBe(1);
      expect(rows.filter((row) => !row.ok).map((row) => row.subject)).toEqual(['commit of v0.1.0']);
    });
  });
});

describe("strongroom-verify --rebuild without --repo: the signed manifest's repository", () => {
  const TOOLCHAIN = {
    node: 'v0.0.1',
    npm: '10.9.0',
    repository: 'https://github.com/acme/strongroom.git',
  };

  async function run(r: FixtureRelease, signWith: 'right key' | 'other key') {
    const key = p256();
    const bundlePath = join(r.root, 'release', 'bundle.json');
    const keyPath = join(r.root, 'release', 'pub.pem');
    await writeFile(
      bundlePath,
      JSON.stringify(
        await signManifest(bytesOf(r), { kind: 'key', privateKeyPem: key.privateKeyPem }),
      ),
    );
    await writeFile(keyPath, signWith === 'right key' ? key.publicKeyPem : p256().publicKeyPem);
    let stdout = '';
    const { run: runner, calls } = fakeRunner(r.dir);
    const args = ['--dir', r.dir, '--manifest', r.manifestPath, '--bundle', bundlePath];
    await main([...args, '--key', keyPath, '--rebuild', 'v0.1.0', '--json'], {
      run: runner,
      out: (t) => (stdout += t),
    });
    return { clone: calls[0] ?? '', report: JSON.parse(stdout) as { warnings?: string[] } };
  }

  it('clones the repository the manifest records, and warns that its Node differs', async () => {
    const r = await makeRelease({ commit: COMMIT, toolchain: TOOLCHAIN });
    roots.push(r.root);
    const { clone, report } = await run(r, 'right key');
    expect(clone).toMatch(
      /^git clone --quiet --no-checkout -- https:\/\/github.com\/acme\/strongroom.git /,
    );
    expect(report.warnings).toEqual([
      `the release was built with Node v0.0.1 (npm 10.9.0); this rebuild runs Node ${process.version}: if files differ, rebuild with v0.0.1`,
    ]);
  });

  it('does not take the repository from a manifest whose signature failed (it clones .)', async () => {
    const r = await makeRelease({ commit: COMMIT, toolchain: TOOLCHAIN });
    roots.push(r.root);
    const { clone } = await run(r, 'other key');
    expect(clone).toMatch(/^git clone --quiet --no-checkout -- \. /);
  });

  it('clones . for a manifest without a toolchain, and gives no warning', async () => {
    const r = await makeRelease({ commit: COMMIT });
    roots.push(r.root);
    const { clone, report } = await run(r, 'right key');
    expect(clone).toMatch(/^git clone --quiet --no-checkout -- \. /);
    expect(report.warnings).toBeUndefined();
  });
});

describe('docs/verification.md §6 "The release is the source": the by-hand rebuild', () => {
  it('takes the steps rebuild() takes, with the same build inputs', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../docs/verification.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### 6. The release is the source'));
    const start = section.indexOf('```sh\n') + 6;
    const block = section.slice(start, section.indexOf('\n```', start));
    const steps = block.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim());

    const r = await release();
    const { run: copy, calls } = fakeRunner(r.dir);
    let seen: { config: string; env: NodeJS.ProcessEnv | undefined } | undefined;
    const run: CommandRunner = async (command, args, options) => {
      if (command === 'npm' && args.join(' ') === 'run build')
        seen = {
          config: await readFile(join(options.cwd, 'strongroom.config.json'), 'utf8'),
          env: options.env,
        };
      return copy(command, args, options);
    };
    const previous = process.env.STRONGROOM_ALLOWED_ORIGINS;
    process.env.STRONGROOM_ALLOWED_ORIGINS = 'https://elsewhere.example';
    try {
      await rebuild('v0.1.0', 'https://github.com/strongroom/strongroom.git', run, {
        buildConfig: r.manifest.buildConfig,
        version: '0.3.0',
      });
    } finally {
      if (previous === undefined) delete process.env.STRONGROOM_ALLOWED_ORIGINS;
      else process.env.STRONGROOM_ALLOWED_ORIGINS = previous;
    }

    // Each command rebuild() runs, with its options, in the same order.
    const at = (prefix: string) => steps.findIndex((step) => step.startsWith(prefix));
    expect(calls[0]).toMatch(/^git clone --quiet --no-checkout -- /);
    expect(at('git clone --no-checkout https://github.com/strongroom/strongroom.git')).toBe(0);
    expect(calls[1]).toContain('checkout --quiet --detach v0.1.0');
    expect(steps[1]).toMatch(/^git checkout --detach v0\.1\.0 && git rev-parse HEAD$/);
    const install = at('npm ci');
    const build = at('npm run build');
    expect(steps[install]).toBe(calls[3]);
    expect(steps[build]).toBe(calls[4]);
    // The manifest's build configuration as strongroom.config.json (jq prints it as rebuild()
    // writes it: two-space indent, a final newline), before the build.
    const config = at('jq .buildConfig ../manifest.json > strongroom.config.json');
    expect(config).toBeGreaterThan(1);
    expect(config).toBeLessThan(build);
    expect(seen?.config).toBe(`${JSON.stringify(r.manifest.buildConfig, null, 2)}\n`);
    // The environment: no STRONGROOM_ALLOWED_ORIGINS, the manifest's version.
    const unset = at('unset STRONGROOM_ALLOWED_ORIGINS');
    expect(unset).toBeGreaterThan(-1);
    expect(unset).toBeLessThan(build);
    expect(seen?.env?.STRONGROOM_ALLOWED_ORIGINS).toBeUndefined();
    const version = at('export STRONGROOM_RELEASE_VERSION=$(jq -r .version ../manifest.json)');
    expect(version).toBeGreaterThan(-1);
    expect(version).toBeLessThan(build);
    expect(seen?.env?.STRONGROOM_RELEASE_VERSION).toBe('0.3.0');
    expect(calls).toHaveLength(5);
  });
});
