/**
 * Signatures made in the enclave verify outside it: in Node with `node:crypto` from the
 * exported public keys (JWK and SPKI), and with the `openssl` command-line tool.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, connectHarness, expect, openHarness, test } from './support/test';

/** DER-encode an IEEE P1363 (r‖s) ECDSA signature, as OpenSSL expects it. */
function p1363ToDer(sig: Uint8Array): Buffer {
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = Buffer.from(bytes.subarray(i));
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(sig.subarray(0, 32)), integer(sig.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function openssl(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    return { ok: false, out: String((err as { stdout?: string }).stdout ?? '') };
  }
}

test.describe('when a signature leaves the enclave', () => {
  test('ES256 and EdDSA signatures verify with node:crypto and with openssl', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-interop-'));
    try {
      const data = new TextEncoder().encode('verified outside the enclave');
      const tampered = new TextEncoder().encode('verified outside the enclavE');
      writeFileSync(join(dir, 'data.bin'), data);
      writeFileSync(join(dir, 'tampered.bin'), tampered);
      for (const alg of ['ES256', 'EdDSA'] as const) {
        const key = await call<{ id: string }>(page, 'generateKey', { alg, purpose: 'sign' });
        const sig = await call<Uint8Array>(page, 'sign', key.id, data);
        const jwk = await call<Record<string, string>>(page, 'publicKey', key.id, 'jwk');
        const spki = await call<Uint8Array>(page, 'publicKey', key.id, 'spki');

        // node:crypto, from the JWK and from the SPKI.
        const fromJwk = createPublicKey({ key: jwk, format: 'jwk' });
        const fromSpki = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
        expect(fromJwk.equals(fromSpki)).toBe(true);
        const hash = alg === 'ES256' ? 'sha256' : null;
        const keyObj =
          alg === 'ES256' ? { key: fromJwk, dsaEncoding: 'ieee-p1363' as const } : fromJwk;
        expect(nodeVerify(hash, data, keyObj, sig), `${alg} node`).toBe(true);
        expect(nodeVerify(hash, tampered, keyObj, sig), `${alg} node, tampered`).toBe(false);

        // openssl.
        writeFileSync(join(dir, `${alg}.pem`), fromSpki.export({ format: 'pem', type: 'spki' }));
        const pem = join(dir, `${alg}.pem`);
        if (alg === 'ES256') {
          writeFileSync(join(dir, 'es.sig'), p1363ToDer(sig));
          const args = (file: string) => [
            'dgst',
            '-sha256',
            '-verify',
            pem,
            '-signature',
            join(dir, 'es.sig'),
            file,
          ];
          expect(openssl(args(join(dir, 'data.bin')))).toMatchObject({
            ok: true,
            out: 'Verified OK\n',
          });
          expect(openssl(args(join(dir, 'tampered.bin'))).ok).toBe(false);
        } else {
          writeFileSync(join(dir, 'ed.sig'), sig);
          const args = (file: string) => [
            'pkeyutl',
            '-verify',
            '-pubin',
            '-inkey',
            pem,
            '-rawin',
            '-in',
            file,
            '-sigfile',
            join(dir, 'ed.sig'),
          ];
          expect(openssl(args(join(dir, 'data.bin')))).toMatchObject({ ok: true });
          expect(openssl(args(join(dir, 'data.bin'))).out).toContain(
            'Signature Verified Successfully',
          );
          expect(openssl(args(join(dir, 'tampered.bin'))).ok).toBe(false);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
