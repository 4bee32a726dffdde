/**
 * The documentation a user reads: no link leaves the repository (a cloner has nothing outside
 * it), every relative link resolves, the statements that went stale stay fixed, the server half
 * of docs/web-push.md does what it says with `web-push`, and the API reference is generated from
 * the sources, offline, into commit-friendly files.
 */
import { spawnSync } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../build/vite-enclave';

/** Every hand-written markdown file a user reads (the generated reference is checked below). */
function markdownFiles(): string[] {
  const files = [
    'README.md',
    'SECURITY.md',
    'CHANGELOG.md',
    'bridge/README.md',
    'bridge/CHANGELOG.md',
    'verify/README.md',
  ];
  for (const name of readdirSync(join(ROOT, 'docs'))) {
    if (name.endsWith('.md')) files.push(`docs/${name}`);
  }
  return files.filter((f) => existsSync(join(ROOT, f)));
}

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('the documentation', () => {
  it('links to nothing outside the repository', () => {
    const outside: string[] = [];
    for (const file of markdownFiles()) {
      for (const m of read(file).matchAll(/\.\.\/shared\b[^\s)`]*/g))
        outside.push(`${file}: ${m[0]}`);
      for (const m of read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z]+:/i.test(target)) continue;
        const resolved = join(dirname(join(ROOT, file)), target);
        if (relative(ROOT, resolved).startsWith('..')) outside.push(`${file}: ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('has no relative link to a file that does not exist', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      for (const m of read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z]+:/i.test(target)) continue;
        if (!existsSync(join(dirname(join(ROOT, file)), target))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('states the current keystore schema (4) and when the at-rest probe runs', () => {
    const schema = read('enclave/src/keystore/schema.ts');
    expect(schema).toMatch(/export const DB_VERSION = 4;/);
    for (const file of markdownFiles()) {
      const text = read(file);
      expect(text, file).not.toMatch(/schema version [12]\b/i);
      expect(text, file).not.toMatch(/start-up probe|At\s+start-up the key worker stores/);
    }
    expect(read('docs/formats.md')).toContain('schema version 4');
    expect(read('docs/api-tokens.md')).toContain(
      'first time a key of an algorithm is stored, the key worker stores a probe key',
    );
  });

  it("lists every KeyInfo field, policy member and provenance source in api.md's table", () => {
    const source = ts.createSourceFile(
      'protocol.ts',
      read('bridge/src/protocol.ts'),
      ts.ScriptTarget.Latest,
    );
    const members = (name: string): string[] => {
      const found: string[] = [];
      source.forEachChild((node) => {
        if (ts.isInterfaceDeclaration(node) && node.name.text === name) {
          for (const m of node.members)
            if (m.name && ts.isIdentifier(m.name)) found.push(m.name.text);
          for (const clause of node.heritageClauses ?? [])
            for (const t of clause.types) found.push(...members(t.expression.getText(source)));
        }
      });
      return found;
    };
    const sources: string[] = [];
    source.forEachChild((node) => {
      if (ts.isTypeAliasDeclaration(node) && node.name.text === 'KeySource')
        for (const m of node.type.getText(source).matchAll(/'([a-z]+)'/g)) sources.push(m[1] ?? '');
    });
    const api = read('docs/api.md');
    const table = api.slice(api.indexOf('| field | meaning |'), api.indexOf('### `publicKey('));
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    const named = (field: string) =>
      rows.some((row) => (row.split('|')[1] ?? '').includes(`\`${field}\``));
    expect(members('KeyInfo').length).toBeGreaterThan(10);
    for (const field of members('KeyInfo')) expect(named(field), field).toBe(true);
    const policyRow = rows.find((row) => row.startsWith('| `policy`')) ?? '';
    for (const field of members('KeyPolicy')) expect(policyRow, field).toContain(field);
    const provenanceRow = rows.find((row) => row.startsWith('| `provenance`')) ?? '';
    expect(sources).toContain('restored');
    for (const s of sources) expect(provenanceRow, s).toContain(`'${s}'`);
  });

  it("describes the iframe's allow attribute as the bridge sets it", () => {
    const api = read('docs/api.md');
    expect(api).not.toContain('`allow=""`');
    expect(api).toContain(
      '`allow="publickey-credentials-get <enclave origin>; publickey-credentials-create <enclave origin>"`',
    );
    expect(read('bridge/src/connect.ts')).toContain(
      "['publickey-credentials-get', 'publickey-credentials-create']",
    );
  });

  it("names the keystore schema of this version in the enclave's changelog", () => {
    const version = /export const DB_VERSION = (\d+);/.exec(
      read('enclave/src/keystore/schema.ts'),
    )?.[1];
    const pkg = JSON.parse(read('package.json')) as { version: string };
    const changelog = read('CHANGELOG.md');
    const entry = changelog.slice(changelog.indexOf(`## ${pkg.version}`));
    expect(entry.startsWith(`## ${pkg.version}`)).toBe(true);
    expect(entry).toContain(`**Keystore schema ${version}.**`);
    expect(read('docs/compatibility.md')).toContain('(../CHANGELOG.md)');
  });

  it('gives the reporting channel and the supported versions in SECURITY.md itself', () => {
    const security = read('SECURITY.md');
    const reporting = security.slice(0, security.indexOf('## What Strongroom protects'));
    expect(reporting).toContain('https://github.com/strongroom/strongroom/security/advisories/new');
    expect(reporting).toContain('### Supported versions');
    expect(reporting).toMatch(/\| `@strongroom\/bridge` \| 0\.1\.x \| yes \|/);
  });

  it('names one repository everywhere, never a placeholder owner', () => {
    const placeholders = markdownFiles().filter((file) => read(file).includes('<owner>'));
    expect(placeholders).toEqual([]);
    expect(read('scripts/verify/main.ts')).not.toContain('<owner>');
  });

  it('has the pages the README promises', () => {
    for (const page of ['docs/web-push.md', 'docs/compatibility.md', 'docs/reference/README.md']) {
      expect(existsSync(join(ROOT, page)), page).toBe(true);
    }
    const deployment = read('docs/deployment.md');
    expect(deployment).toContain("## The embedding app's own CSP");
    expect(deployment).toContain('frame-src https://kms.app.example');
    expect(deployment).toContain('## Offline, PWAs and service workers');
  });
});

describe('docs/web-push.md, the server half', () => {
  it('web-push sends the enclave header as it is, with an encrypted payload, and no VAPID key', () => {
    const require = createRequire(import.meta.url);
    const webpush = require('web-push') as {
      generateRequestDetails(
        subscription: object,
        payload: string,
        options: object,
      ): { headers: Record<string, string | number>; body: Uint8Array; endpoint: string };
    };
    const browser = createECDH('prime256v1');
    browser.generateKeys();
    const subscription = {
      endpoint: 'https://push.example/send/abc',
      keys: {
        p256dh: browser.getPublicKey().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
      },
    };
    // What enclave.vapidAuth() returns (a fixed stand-in: web-push does not parse it).
    const authorization = 'vapid t=eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.e30.c2ln, k=BA';
    const request = webpush.generateRequestDetails(
      subscription,
      JSON.stringify({ title: 'Hello' }),
      { headers: { Authorization: authorization }, TTL: 60 },
    );
    expect(request.endpoint).toBe(subscription.endpoint);
    expect(request.headers.Authorization).toBe(authorization);
    expect(request.headers['Crypto-Key']).toBeUndefined();
    expect(request.headers['Content-Encoding']).toBe('aes128gcm');
    expect(request.headers.TTL).toBe(60);
    expect(request.body.length).toBeGreaterThan(0);

    const doc = read('docs/web-push.md');
    expect(doc).toContain('headers: { Authorization: authorization }');
    expect(doc).not.toMatch(/^\s*webpush\.setVapidDetails\(/m);
  });
});

describe('the API reference (npm run docs:reference)', () => {
  it('is generated from the sources offline, into markdown with no paths, dates or commits', () => {
    const out = mkdtempSync(join(tmpdir(), 'strongroom-reference-'));
    try {
      // Any network use would go to a dead proxy and fail.
      const result = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            HTTP_PROXY: 'http://127.0.0.1:9',
            HTTPS_PROXY: 'http://127.0.0.1:9',
            http_proxy: 'http://127.0.0.1:9',
            https_proxy: 'http://127.0.0.1:9',
          },
        },
      );
      expect(result.stdout + result.stderr).not.toMatch(/\[(warning|error)\]/);
      expect(result.status).toBe(0);
      const pages: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else pages.push(relative(out, path));
        }
      };
      walk(out);
      expect(pages).toEqual(
        expect.arrayContaining([
          'README.md',
          'classes/Enclave.md',
          'classes/StrongroomError.md',
          'functions/connect.md',
          'interfaces/SealOptions.md',
          'interfaces/TransferOption.md',
        ]),
      );
      expect(pages.every((p) => p.endsWith('.md'))).toBe(true);
      for (const page of pages) {
        const text = readFileSync(join(out, page), 'utf8');
        expect(text, page).not.toContain(ROOT);
        expect(text, page).not.toMatch(/\b[0-9a-f]{40}\b|blob\/|\d{4}-\d\d-\d\dT\d\d:/);
      }
      expect(readFileSync(join(out, 'classes/Enclave.md'), 'utf8')).toContain('generateKey');
      // The committed docs/reference/ is exactly what the sources give: regenerate it
      // (npm run docs:reference) whenever a public TSDoc or type changes.
      const committed: string[] = [];
      const walkCommitted = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walkCommitted(path);
          else committed.push(relative(join(ROOT, 'docs/reference'), path));
        }
      };
      walkCommitted(join(ROOT, 'docs/reference'));
      expect(committed.sort()).toEqual([...pages].sort());
      for (const page of pages) {
        expect(read(`docs/reference/${page}`), `docs/reference/${page} is stale`).toBe(
          readFileSync(join(out, page), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
