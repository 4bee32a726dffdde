/**
 * The verification panel's check (`verify.ts`) against manifests written by the release code
 * itself (`build/release/manifest.ts`): its WebCrypto digest equals the release tooling's, a
 * genuine manifest matches the digest of its build, and a manifest of another build, one whose
 * `releaseDigest` was edited, one that is not a manifest, and an enclave that reports no digest
 * each get their own verdict; the commands name this deployment's URLs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManifest, type Manifest, manifestBytes } from '../../build/release/manifest';
import { releaseDigest } from '../../build/release/release-digest';
import { checkRelease, releaseDigestOf, verifyCommands } from './verify';

let dir: string;
let manifest: Manifest;

/** A release folder with files whose paths sort differently by code unit and by locale. */
function writeRelease(root: string, scriptText: string): void {
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>enclave</title>');
  writeFileSync(join(root, 'assets', 'main-Zz.js'), scriptText);
  writeFileSync(join(root, 'assets', 'main-aa.js'), 'export {};');
  writeFileSync(join(root, 'assets', 'enclave-B.css'), 'html{}');
}

async function manifestOf(root: string): Promise<Manifest> {
  return createManifest({
    dir: root,
    name: 'strongroom',
    version: '0.1.0',
    commit: 'a'.repeat(40),
    allowedOrigins: ['https://app.example'],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'demo-verify-'));
  writeRelease(join(dir, 'genuine'), 'console.log(1);');
  writeRelease(join(dir, 'other'), 'console.log(2);');
  manifest = await manifestOf(join(dir, 'genuine'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the verification panel', () => {
  it('recomputes the release digest exactly as the release tooling does', async () => {
    expect(await releaseDigestOf(manifest.files)).toBe(releaseDigest(manifest.files));
    expect(await releaseDigestOf(manifest.files)).toBe(manifest.releaseDigest);
    // Order of the input does not matter; the path order is by code unit ('Z' < 'a').
    expect(await releaseDigestOf([...manifest.files].reverse())).toBe(manifest.releaseDigest);
    const one = manifest.files.slice(0, 1);
    expect(await releaseDigestOf(one)).not.toBe(manifest.releaseDigest);
  });

  it('a genuine manifest matches the digest of its build', async () => {
    const result = await checkRelease(manifest.releaseDigest, manifestBytes(manifest));
    expect(result).toMatchObject({
      state: 'match',
      reason: 'digest-equal',
      manifestDigest: manifest.releaseDigest,
      version: '0.1.0',
      commit: 'a'.repeat(40),
    });
  });

  it('a consistent manifest of another build is a mismatch: the digests differ', async () => {
    const other = await manifestOf(join(dir, 'other'));
    expect(other.releaseDigest).not.toBe(manifest.releaseDigest);
    const result = await checkRelease(manifest.releaseDigest, manifestBytes(other));
    expect(result).toMatchObject({ state: 'mismatch', reason: 'digest-differs' });
  });

  it('a manifest whose releaseDigest was edited is a mismatch, whatever the enclave reports', async () => {
    const edited = { ...manifest, releaseDigest: 'f'.repeat(64) };
    const bytes = new TextEncoder().encode(JSON.stringify(edited));
    for (const reported of ['f'.repeat(64), manifest.releaseDigest]) {
      const result = await checkRelease(reported, bytes);
      expect(result).toMatchObject({
        state: 'mismatch',
        reason: 'manifest-inconsistent',
        recomputed: manifest.releaseDigest,
      });
    }
  });

  it('what is not a manifest, or no reported digest, is unavailable', async () => {
    const enc = (text: string) => new TextEncoder().encode(text);
    for (const bytes of [
      enc('<html>not found</html>'),
      enc('{}'),
      enc(JSON.stringify({ ...manifest, releaseDigest: 'F'.repeat(64) })),
      enc(JSON.stringify({ ...manifest, files: [] })),
      new Uint8Array([0xff, 0xfe]),
    ]) {
      expect(await checkRelease(manifest.releaseDigest, bytes)).toMatchObject({
        state: 'unavailable',
        reason: 'manifest-invalid',
      });
    }
    expect(await checkRelease(null, manifestBytes(manifest))).toMatchObject({
      state: 'unavailable',
      reason: 'no-reported-digest',
    });
  });

  it("names this deployment's URLs in the strongroom-verify commands", () => {
    const unsigned = verifyCommands({
      enclaveUrl: 'http://localhost:8081/',
      manifestUrl: 'http://127.0.0.1:8080/strongroom-manifest.json',
    });
    expect(unsigned).toContain(
      'curl -sSfo $D/manifest.json http://127.0.0.1:8080/strongroom-manifest.json',
    );
    expect(unsigned).toContain(
      'npx strongroom-verify --url http://localhost:8081/ --manifest $D/manifest.json',
    );
    expect(unsigned).toContain('--key $D/throwaway.pub.pem');
    const signed = verifyCommands({
      enclaveUrl: 'https://kms.example/',
      manifestUrl: 'https://app.example/strongroom-manifest.json',
      bundleUrl: 'https://app.example/strongroom-manifest.sigstore.json',
      version: '1.2.3',
    });
    expect(signed).toContain('npx @strongroom/verify --url https://kms.example/');
    expect(signed).toContain('--bundle https://app.example/strongroom-manifest.sigstore.json');
    expect(signed).toContain('--expect-version 1.2.3');
  });
});
