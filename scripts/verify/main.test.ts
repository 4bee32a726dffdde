import { rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enclaveHeaders } from '../../build/enclave-config';
import { type MockSigstore, startMockSigstore } from '../../build/release/mock-sigstore';
import { signManifest } from '../../build/release/sign';
import { main } from './main';
import {
  bytesOf,
  type FixtureRelease,
  makeRelease,
  ORIGINS,
  p256,
  serveDir,
} from './test-fixtures';
import type { CheckRow, VerifyReport } from './verify-deployment';

const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY =
  'https://github.com/acme/strongroom/.github/workflows/release.yml@refs/tags/v0.1.0';

interface Run {
  code: number;
  report: VerifyReport & { verdict: string };
  stdout: string;
  stderr: string;
}

async function run(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main([...args, '--json'], {
    out: (t) => (stdout += t),
    err: (t) => (stderr += t),
  });
  const report = stdout ? JSON.parse(stdout) : undefined;
  return { code, report, stdout, stderr };
}

const failed = (r: Run): CheckRow[] => r.report.rows.filter((row) => !row.ok);

const cleanup: string[] = [];
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function release(options: Parameters<typeof makeRelease>[0] = {}): Promise<FixtureRelease> {
  const r = await makeRelease(options);
  cleanup.push(r.root);
  return r;
}

async function writeJson(r: FixtureRelease, name: string, value: unknown): Promise<string> {
  const path = join(r.root, 'release', name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

describe('strongroom-verify, key-based, --dir', () => {
  const key = p256();

  async function signed(r: FixtureRelease, privateKeyPem = key.privateKeyPem) {
    const bundle = await signManifest(bytesOf(r), { kind: 'key', privateKeyPem });
    const keyPath = join(r.root, 'release', 'pub.pem');
    await writeFile(keyPath, key.publicKeyPem);
    return {
      bundle,
      args: async (b: unknown = bundle) => [
        '--dir',
        r.dir,
        '--manifest',
        r.manifestPath,
        '--bundle',
        await writeJson(r, 'bundle.json', b),
        '--key',
        keyPath,
      ],
    };
  }

  describe('when the deployment is exactly the release', () => {
    it('passes every check and exits 0', async () => {
      const r = await release();
      const res = await run(await (await signed(r)).args());
      expect(failed(res)).toEqual([]);
      expect(res.code).toBe(0);
      expect(res.report.verdict).toMatch(/^PASS: /);
      const checks = new Set(res.report.rows.map((row) => row.check));
      expect([...checks].sort()).toEqual(['file', 'signature', 'sri']);
      // Both <link rel=stylesheet> and <script type=module>; the commented-out script is ignored.
      expect(res.report.rows.filter((row) => row.check === 'sri')).toHaveLength(2);
    });

    it('prints a table and a verdict without --json', async () => {
      const r = await release();
      let stdout = '';
      const code = await main(await (await signed(r)).args(), { out: (t) => (stdout += t) });
      expect(code).toBe(0);
      expect(stdout.split('\n')[0]).toMatch(/^CHECK\s+FILE\s+EXPECTED\s+GOT\s+STATUS$/);
      expect(stdout.trim().split('\n').at(-1)).toMatch(
        /^PASS: .* strongroom 0\.1\.0 \(commit 111111111111\)/,
      );
    });
  });

  describe('when a file was changed after release', () => {
    it('fails that file and exits 1', async () => {
      const r = await release();
      const s = await signed(r);
      await writeFile(join(r.dir, 'assets', 'main-1a2b.js'), 'stealKeys();\n');
      const res = await run(await s.args());
      expect(res.code).toBe(1);
      expect(failed(res).map((row) => [row.check, row.subject])).toEqual([
        ['file', 'assets/main-1a2b.js'],
      ]);
      expect(res.report.verdict).toMatch(/^FAIL: /);
    });
  });

  describe('when a listed file is missing', () => {
    it('reports it missing', async () => {
      const r = await release();
      const s = await signed(r);
      await unlink(join(r.dir, 'assets', 'worker-5e6f.js'));
      const res = await run(await s.args());
      expect(res.code).toBe(1);
      expect(failed(res)).toEqual([
        expect.objectContaining({
          check: 'file',
          subject: 'assets/worker-5e6f.js',
          got: 'missing',
        }),
      ]);
    });
  });

  describe('when the folder holds a file the manifest does not list', () => {
    it('reports the extra file', async () => {
      const r = await release();
      const s = await signed(r);
      await writeFile(join(r.dir, 'assets', 'extra.js'), 'x');
      const res = await run(await s.args());
      expect(res.code).toBe(1);
      expect(failed(res)).toEqual([
        expect.objectContaining({ check: 'extra', subject: 'assets/extra.js' }),
      ]);
    });
  });

  describe('when the signature bytes are wrong', () => {
    it('fails the signature with SIGNATURE_INVALID', async () => {
      const r = await release();
      const s = await signed(r);
      const forged = structuredClone(s.bundle);
      const sig = Buffer.from(forged.messageSignature?.signature ?? '', 'base64');
      sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
      if (forged.messageSignature) forged.messageSignature.signature = sig.toString('base64');
      const res = await run(await s.args(forged));
      expect(res.code).toBe(1);
      expect(failed(res)).toEqual([expect.objectContaining({ check: 'signature' })]);
      expect(failed(res)[0]?.got).toMatch(/^SIGNATURE_INVALID/);
    });
  });

  describe('when a valid signature comes from another key', () => {
    it('fails the signature with IDENTITY_MISMATCH', async () => {
      const r = await release();
      const s = await signed(r, p256().privateKeyPem);
      const res = await run(await s.args());
      expect(res.code).toBe(1);
      expect(failed(res)[0]?.got).toMatch(/^IDENTITY_MISMATCH/);
    });
  });

  describe('when the manifest and bundle are from another release', () => {
    it('fails the files that differ, and the pinned version and commit', async () => {
      const deployed = await release();
      const other = await release({
        version: '0.2.0',
        commit: '2'.repeat(40),
        script: 'export const main = 2;\n',
      });
      const s = await signed(other);
      const args = (await s.args()).map((a) => (a === other.dir ? deployed.dir : a));
      const res = await run([
        ...args,
        '--expect-version',
        '0.1.0',
        '--expect-commit',
        '1'.repeat(40),
      ]);
      expect(res.code).toBe(1);
      expect(
        failed(res)
          .map((row) => row.subject)
          .sort(),
      ).toEqual(
        [
          '/assets/main-1a2b.js (script)',
          'assets/main-1a2b.js',
          'commit',
          'index.html',
          'version',
        ].sort(),
      );
    });

    it('fails with DIGEST_MISMATCH when only the manifest is swapped', async () => {
      const deployed = await release();
      const other = await release({ version: '0.2.0', commit: '2'.repeat(40) });
      const s = await signed(deployed);
      const args = (await s.args()).map((a) =>
        a === deployed.manifestPath ? other.manifestPath : a,
      );
      const res = await run(args);
      expect(res.code).toBe(1);
      expect(failed(res).find((row) => row.check === 'signature')?.got).toMatch(/^DIGEST_MISMATCH/);
    });
  });

  describe('when the folder does not exist', () => {
    it('is a usage error (exit 2), not five failed checks', async () => {
      const r = await release();
      const args = await (await signed(r)).args();
      args[1] = join(r.root, 'no-such-folder');
      const res = await run(args);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain(`--dir ${join(r.root, 'no-such-folder')}: no such folder`);
    });
  });

  describe('when --key is given the PRIVATE key', () => {
    it('is a usage error (exit 2) that asks for the public key', async () => {
      const r = await release();
      const args = await (await signed(r)).args();
      const privatePath = join(r.root, 'release', 'key.pem');
      await writeFile(privatePath, key.privateKeyPem);
      args[args.indexOf('--key') + 1] = privatePath;
      const res = await run(args);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain(`--key ${privatePath} is a PRIVATE key`);
      expect(res.stderr).toContain('-pubout');
    });
  });

  describe('when a failing row has long values', () => {
    it('prints the full expected and actual values under it', async () => {
      const r = await release();
      const s = await signed(r);
      await writeFile(join(r.dir, 'assets', 'main-1a2b.js'), 'stealKeys();\n');
      let stdout = '';
      const code = await main(await s.args(), { out: (t) => (stdout += t) });
      expect(code).toBe(1);
      const file = r.manifest.files.find((f) => f.path === 'assets/main-1a2b.js');
      expect(file).toBeDefined();
      const lines = stdout.split('\n');
      const at = lines.findIndex((l) => /^file\s+assets\/main-1a2b\.js .*MISMATCH$/.test(l));
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1]).toBe(`           expected: ${file?.sha256}`);
      expect(lines[at + 2]).toMatch(/^ {11}got: {6}[0-9a-f]{64}$/);
      expect(stdout.trim().split('\n').at(-1)).toMatch(/^FAIL: .* does not match/);
    });

    it('says a folder "holds" a release (a URL "serves" it)', async () => {
      const r = await release();
      let stdout = '';
      await main(await (await signed(r)).args(), { out: (t) => (stdout += t) });
      expect(stdout.trim().split('\n').at(-1)).toMatch(
        new RegExp(`^PASS: ${r.dir} holds strongroom`),
      );
    });
  });

  describe('when the arguments are incomplete or contradictory', () => {
    it.each([
      [['--manifest', 'm', '--bundle', 'b', '--key', 'k']],
      [
        [
          '--dir',
          'd',
          '--url',
          'http://127.0.0.1/',
          '--manifest',
          'm',
          '--bundle',
          'b',
          '--key',
          'k',
        ],
      ],
      [['--dir', 'd', '--manifest', 'm', '--bundle', 'b', '--identity', 'x']],
      [['--dir', 'd', '--manifest', 'm', '--bundle', 'b', '--key', 'k', '--issuer', 'i']],
      [['--dir', 'd', '--manifest', 'm', '--bundle', 'b', '--key', 'k', '--unknown']],
    ])('exits 2 for %j', async (args) => {
      expect((await run(args)).code).toBe(2);
    });
  });
});

describe('strongroom-verify, keyless (mock Sigstore), --url', () => {
  let mock: MockSigstore;
  beforeAll(async () => {
    mock = await startMockSigstore();
  });
  afterAll(async () => {
    await mock.stop();
  });

  async function deploy(r: FixtureRelease, identity = IDENTITY, headers?: Record<string, string>) {
    const bundle = await signManifest(bytesOf(r), {
      kind: 'keyless',
      identityToken: mock.identityToken(identity, ISSUER),
      fulcioUrl: mock.fulcioUrl,
      rekorUrl: mock.rekorUrl,
      tsaUrl: mock.tsaUrl,
    });
    const server = await serveDir(r.dir, headers);
    const args = [
      '--url',
      server.url,
      '--manifest',
      r.manifestPath,
      '--bundle',
      await writeJson(r, 'bundle.json', bundle),
      '--identity',
      IDENTITY,
      '--issuer',
      ISSUER,
      '--trusted-root',
      await writeJson(r, 'trusted-root.json', mock.trustedRoot),
    ];
    return { args, stop: server.stop };
  }

  describe('when the deployment is exactly the release', () => {
    it('passes every check, headers included, and exits 0', async () => {
      const r = await release();
      const d = await deploy(r);
      try {
        const res = await run(d.args);
        expect(failed(res)).toEqual([]);
        expect(res.code).toBe(0);
        expect(res.report.signer).toEqual({ kind: 'keyless', identity: IDENTITY, issuer: ISSUER });
        const headers = res.report.rows.filter((row) => row.check === 'header');
        expect(headers.map((row) => row.subject)).toContain('Content-Security-Policy');
        expect(headers).toContainEqual(
          expect.objectContaining({ subject: 'Origin-Agent-Cluster', expected: '?1', ok: true }),
        );
      } finally {
        await d.stop();
      }
    });
  });

  describe('when a valid signature comes from another identity', () => {
    it('fails with IDENTITY_MISMATCH', async () => {
      const r = await release();
      const d = await deploy(
        r,
        'https://github.com/evil/strongroom/.github/workflows/release.yml@refs/tags/v0.1.0',
      );
      try {
        const res = await run(d.args);
        expect(res.code).toBe(1);
        expect(failed(res)).toEqual([expect.objectContaining({ check: 'signature' })]);
        expect(failed(res)[0]?.got).toMatch(/^IDENTITY_MISMATCH/);
      } finally {
        await d.stop();
      }
    });
  });

  describe('when the server changed a file', () => {
    it('fails that file', async () => {
      const r = await release();
      const d = await deploy(r);
      try {
        await writeFile(join(r.dir, 'assets', 'style-3c4d.css'), 'body{display:none}');
        const res = await run(d.args);
        expect(res.code).toBe(1);
        expect(failed(res).map((row) => row.subject)).toEqual(['assets/style-3c4d.css']);
      } finally {
        await d.stop();
      }
    });
  });

  describe('when the server lacks a listed file', () => {
    it('reports it missing', async () => {
      const r = await release();
      const d = await deploy(r);
      try {
        await unlink(join(r.dir, 'assets', 'worker-5e6f.js'));
        const res = await run(d.args);
        expect(failed(res)).toEqual([
          expect.objectContaining({ subject: 'assets/worker-5e6f.js', got: 'missing' }),
          expect.objectContaining({
            check: 'header',
            subject: 'assets/worker-5e6f.js',
            got: expect.stringMatching(/^HTTP 404 \(expected 200\)/),
          }),
        ]);
      } finally {
        await d.stop();
      }
    });
  });

  describe('when index.html loads a file the manifest does not list', () => {
    it('reports the extra reference', async () => {
      const r = await release({ extraReference: '/assets/injected.js' });
      const d = await deploy(r);
      try {
        await writeFile(join(r.dir, 'assets', 'injected.js'), 'stealKeys();');
        const res = await run(d.args);
        expect(res.code).toBe(1);
        expect(failed(res)).toEqual([
          expect.objectContaining({ check: 'extra', subject: '/assets/injected.js (script)' }),
        ]);
      } finally {
        await d.stop();
      }
    });
  });

  describe('when index.html loads a script that a naive tokenizer does not see', () => {
    it.each([
      [
        'after <!-->',
        '<!--><script src="/assets/injected.js"></script><!-- -->',
        'extra',
        '/assets/injected.js (script)',
      ],
      [
        'after <!--->',
        '<!---><script src="/assets/injected.js"></script><!-- -->',
        'extra',
        '/assets/injected.js (script)',
      ],
      [
        'as <svg><script href>',
        '<svg><script href="/assets/main-1a2b.js"></script></svg>',
        'sri',
        '/assets/main-1a2b.js (svg script)',
      ],
    ])('reports the script %s', async (_name, markup, check, subject) => {
      const r = await release({ extraMarkup: markup });
      const d = await deploy(r);
      try {
        const res = await run(d.args);
        expect(res.code).toBe(1);
        expect(failed(res)).toEqual([expect.objectContaining({ check, subject, ok: false })]);
      } finally {
        await d.stop();
      }
    });
  });

  describe('when the server cannot be reached', () => {
    it('shows the cause of the network error, not just "fetch failed"', async () => {
      const r = await release();
      const d = await deploy(r);
      await d.stop(); // nothing listens on that port any more
      const res = await run(d.args);
      expect(res.code).toBe(1);
      const files = failed(res).filter((row) => row.check === 'file');
      expect(files.length).toBeGreaterThan(0);
      for (const row of files)
        expect(row.got).toMatch(/fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
    });

    it('names the cause once when the manifest itself cannot be fetched', async () => {
      const r = await release();
      const d = await deploy(r);
      await d.stop();
      const manifestAt = d.args.indexOf('--manifest');
      const args = [...d.args];
      args[manifestAt + 1] = `${d.args[d.args.indexOf('--url') + 1]}manifest.json`;
      const res = await run(args);
      expect(res.code).not.toBe(0);
      const said = res.stderr.match(/ECONNREFUSED 127\.0\.0\.1:\d+/g) ?? [];
      expect(said).toHaveLength(1);
      expect(res.stderr).toMatch(/fetch failed: connect ECONNREFUSED/);
    });
  });

  describe('when a header differs in a long value', () => {
    it('prints the full expected and actual header under the row', async () => {
      const r = await release();
      const csp = enclaveHeaders(ORIGINS)['Content-Security-Policy'] ?? '';
      const widened = csp.replace("script-src 'self'", "script-src 'self' https://evil.example");
      const d = await deploy(r, IDENTITY, {
        ...enclaveHeaders(ORIGINS),
        'Content-Security-Policy': widened,
      });
      try {
        let stdout = '';
        const code = await main(d.args, { out: (t) => (stdout += t) });
        expect(code).toBe(1);
        expect(stdout).toContain(`expected: ${csp}\n`);
        expect(stdout).toContain(`got:      ${widened}\n`);
      } finally {
        await d.stop();
      }
    });
  });

  describe('when the server does not send the enclave headers', () => {
    it('fails each missing or different header', async () => {
      const r = await release();
      const d = await deploy(r, IDENTITY, { 'Referrer-Policy': 'no-referrer' });
      try {
        const res = await run(d.args);
        expect(res.code).toBe(1);
        expect(failed(res).every((row) => row.check === 'header')).toBe(true);
        expect(failed(res).map((row) => row.subject)).toContain('Content-Security-Policy');
        expect(failed(res).map((row) => row.subject)).not.toContain('Referrer-Policy');
      } finally {
        await d.stop();
      }
    });
  });

  describe('when the server omits Origin-Agent-Cluster', () => {
    it('reports that header as absent on the document and on every other response', async () => {
      const r = await release();
      const { 'Origin-Agent-Cluster': _, ...rest } = enclaveHeaders(ORIGINS);
      const d = await deploy(r, IDENTITY, rest);
      try {
        const res = await run(d.args);
        expect(res.code).toBe(1);
        const rows = failed(res);
        expect(rows[0]).toEqual({
          check: 'header',
          subject: 'Origin-Agent-Cluster',
          expected: '?1',
          got: '(absent)',
          ok: false,
        });
        // Each listed file, the folder URL and the 404 probe: that header and nothing else.
        expect(rows.slice(1).map((row) => row.subject)).toEqual([
          ...r.manifest.files.map((f) => f.path),
          '/ (index.html)',
          expect.stringMatching(/^assets\/strongroom-verify-[0-9a-f]{16}\.js \(absent\)$/),
        ]);
        for (const row of rows.slice(1)) expect(row.got).toBe('Origin-Agent-Cluster: (absent)');
      } finally {
        await d.stop();
      }
    });

    it('reports ?0 (an explicit opt-out) as a mismatch', async () => {
      const r = await release();
      const d = await deploy(r, IDENTITY, {
        ...enclaveHeaders(ORIGINS),
        'Origin-Agent-Cluster': '?0',
      });
      try {
        const res = await run(d.args);
        expect(failed(res)[0]).toEqual(
          expect.objectContaining({ subject: 'Origin-Agent-Cluster', expected: '?1', got: '?0' }),
        );
        expect(
          failed(res)
            .slice(1)
            .every((row) => row.got.includes('Origin-Agent-Cluster')),
        ).toBe(true);
      } finally {
        await d.stop();
      }
    });
  });
});

describe('strongroom-verify --help', () => {
  it('lists every option, says --key is the PUBLIC key, and gives examples', async () => {
    let stdout = '';
    const code = await main(['--help'], { out: (t) => (stdout += t) });
    expect(code).toBe(0);
    for (const option of [
      '--url',
      '--dir',
      '--manifest',
      '--bundle',
      '--identity',
      '--issuer',
      '--trusted-root',
      '--key',
      '--expect-version',
      '--expect-commit',
      '--rebuild',
      '--repo',
      '--json',
    ]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('PUBLIC key');
    expect(stdout).toContain('examples:');
    expect(stdout).toMatch(/strongroom-verify --dir dist\/enclave --manifest/);
    // Each example is printed as the shell command it is: continued lines end in " \".
    const examples = stdout.slice(stdout.indexOf('examples:'));
    expect(examples).toContain('strongroom-verify --url https://kms.app.example/ \\\n');
    expect(examples).not.toMatch(/[^\s] {2,}--/);
    expect(stdout).toContain('Exit status: 0 all checks passed, 1 a check failed, 2 usage error.');
  });
});
