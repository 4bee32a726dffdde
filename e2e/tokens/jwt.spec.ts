/**
 * signJwt: ES256 and EdDSA tokens verified in Node by `jose` against the key's JWK and a
 * JWKS; `alg`, `kid`, `iat` and `exp` set by the enclave; the per-key maximum lifetime
 * refused before anything is signed; hostile headers and claims refused.
 */
import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import { isCode, type KeyView } from '../support/tokens';

test.describe('when the enclave signs JWTs', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  test('ES256 and EdDSA tokens verify with jose against the JWK and against a JWKS', async ({
    page,
  }) => {
    const es = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'jwt' });
    const ed = await call<KeyView>(page, 'generateKey', { alg: 'EdDSA', purpose: 'jwt' });
    const jwks = createLocalJWKSet({ keys: [es.publicJwk, ed.publicJwk] as never });
    for (const key of [es, ed]) {
      const before = Math.floor(Date.now() / 1000);
      const token = await call<string>(page, 'signJwt', key.id, {
        header: { typ: 'JWT' },
        claims: { iss: 'https://app.example', sub: 'user-42', aud: 'relay', nested: { a: [1] } },
        expiresIn: 600,
      });
      const after = Math.floor(Date.now() / 1000);
      const jwk = await importJWK(key.publicJwk as never, key.alg);
      const direct = await jwtVerify(token, jwk, { audience: 'relay', algorithms: [key.alg] });
      expect(direct.protectedHeader).toEqual({ typ: 'JWT', alg: key.alg, kid: key.kid });
      expect(direct.payload).toMatchObject({ iss: 'https://app.example', nested: { a: [1] } });
      const iat = direct.payload.iat as number;
      expect(iat).toBeGreaterThanOrEqual(before - 1);
      expect(iat).toBeLessThanOrEqual(after + 1);
      expect(direct.payload.exp).toBe(iat + 600);
      // By `kid` from a JWKS, as relays verify.
      const viaSet = await jwtVerify(token, jwks, { audience: 'relay' });
      expect(viaSet.payload.sub).toBe('user-42');
    }
  });

  test('a token beyond the key maximum lifetime is refused and nothing is signed', async ({
    page,
  }) => {
    const short = await call<KeyView>(page, 'generateKey', {
      alg: 'ES256',
      purpose: 'jwt',
      maxTokenLifetime: 60,
    });
    expect(short.maxTokenLifetime).toBe(60);
    expect(short.policy.maxTokenLifetime).toBe(60);
    await call(page, 'signJwt', short.id, { claims: {}, expiresIn: 60 });
    const used = (await call<KeyView>(page, 'getKey', short.id)).usage.count;
    const err = await callError(page, 'signJwt', short.id, { claims: {}, expiresIn: 61 });
    expect(isCode(err, 'OPERATION_NOT_ALLOWED')).toBe(true);
    expect((await call<KeyView>(page, 'getKey', short.id)).usage.count).toBe(used);

    // Default: 24 h.
    const daily = await call<KeyView>(page, 'generateKey', { alg: 'EdDSA', purpose: 'jwt' });
    expect(daily.maxTokenLifetime).toBe(86400);
    expect(daily.policy.maxTokenLifetime).toBe(86400);
    await call(page, 'signJwt', daily.id, { claims: {}, expiresIn: 86400 });
    const tooLong = await callError(page, 'signJwt', daily.id, { claims: {}, expiresIn: 86401 });
    expect(isCode(tooLong, 'OPERATION_NOT_ALLOWED')).toBe(true);
  });

  test('the caller cannot set alg, kid, crit, iat or exp, and exp is required', async ({
    page,
  }) => {
    const key = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'jwt' });
    const refusals: [unknown, string][] = [
      [{ header: { alg: 'none' }, claims: {}, expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [{ header: { kid: 'other' }, claims: {}, expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [{ header: { crit: ['exp'] }, claims: {}, expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [
        { header: { jku: 'https://evil.example/jwks' }, claims: {}, expiresIn: 60 },
        'INVALID_ARGUMENT',
      ],
      [{ claims: { exp: 9999999999 }, expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [{ claims: { iat: 0 }, expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [{ claims: {} }, 'INVALID_ARGUMENT'],
      [{ claims: {}, expiresIn: 0 }, 'INVALID_ARGUMENT'],
      [{ claims: {}, expiresIn: 1.5 }, 'INVALID_ARGUMENT'],
      [{ claims: [], expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [{ claims: 'x', expiresIn: 60 }, 'INVALID_ARGUMENT'],
      [{ claims: {}, expiresIn: 60, extra: true }, 'INVALID_ARGUMENT'],
      [{ claims: { big: 'x'.repeat(20_000) }, expiresIn: 60 }, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [options, code] of refusals) {
      const err = await callError(page, 'signJwt', key.id, options);
      expect(isCode(err, code), `${JSON.stringify(options).slice(0, 80)} → ${err.code}`).toBe(true);
    }
    // Whatever the header says, alg and kid are the enclave's.
    const token = await call<string>(page, 'signJwt', key.id, {
      header: { typ: 'dpop+jwt', cty: 'x' },
      claims: {},
      expiresIn: 60,
    });
    expect(decodeProtectedHeader(token)).toEqual({
      typ: 'dpop+jwt',
      cty: 'x',
      alg: 'ES256',
      kid: key.kid,
    });
  });

  test('keys that cannot sign tokens are refused', async ({ page }) => {
    const mac = await call<KeyView>(page, 'generateKey', { alg: 'HS256', purpose: 'mac' });
    const err = await callError(page, 'signJwt', mac.id, { claims: {}, expiresIn: 60 });
    expect(isCode(err, 'OPERATION_NOT_ALLOWED')).toBe(true);
    // An ES256 key made for raw signatures does not sign tokens either (one purpose per key).
    const raw = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'sign' });
    const rawErr = await callError(page, 'signJwt', raw.id, { claims: {}, expiresIn: 60 });
    expect(isCode(rawErr, 'OPERATION_NOT_ALLOWED')).toBe(true);
    const missing = await callError(page, 'signJwt', 'AAAAAAAAAAAAAAAAAAAAAA', {
      claims: {},
      expiresIn: 60,
    });
    expect(isCode(missing, 'KEY_NOT_FOUND')).toBe(true);
    // A token lifetime is refused for a key that signs no tokens (here for the lifetime itself:
    // the purpose is valid for the algorithm).
    const noLifetime = await callError(page, 'generateKey', {
      alg: 'A256GCM',
      purpose: 'seal',
      maxTokenLifetime: 60,
    });
    expect(isCode(noLifetime, 'INVALID_ARGUMENT')).toBe(true);
    expect(noLifetime.message).toContain('maxTokenLifetime');
    const tooLong = await callError(page, 'generateKey', {
      alg: 'ES256',
      purpose: 'jwt',
      maxTokenLifetime: 400 * 24 * 3600,
    });
    expect(isCode(tooLong, 'INVALID_ARGUMENT')).toBe(true);
    expect(tooLong.message).toContain('maxTokenLifetime');
  });
});
