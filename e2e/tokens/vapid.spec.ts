/**
 * vapidAuth (RFC 8292): the `Authorization` value's token is accepted by `web-push`'s VAPID
 * validation and verifies with `jose` against `k`, which equals `publicKey(id, 'raw')` (the
 * `applicationServerKey`); audience, subject and lifetime rules refused with typed errors.
 */
import { createRequire } from 'node:module';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import { b64u, isCode, type KeyView } from '../support/tokens';

const require = createRequire(import.meta.url);
const vapidHelper = require('web-push/src/vapid-helper.js') as {
  validateSubject(s: string): void;
  validatePublicKey(k: string): void;
  validateExpiration(exp: number): void;
  getVapidHeaders(
    aud: string,
    sub: string,
    pub: string,
    priv: string,
    enc: string,
    exp?: number,
  ): { Authorization: string };
  generateVAPIDKeys(): { publicKey: string; privateKey: string };
};

const PUSH = 'https://fcm.googleapis.com';

function parse(header: string): { t: string; k: string } {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(
    header,
  );
  if (!m?.[1] || !m[2]) throw new Error(`not a vapid header: ${header}`);
  return { t: m[1], k: m[2] };
}

test.describe('when the enclave makes VAPID authorizations', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  test('web-push validates the token and key, and jose verifies it against k', async ({ page }) => {
    const key = await call<KeyView>(page, 'generateKey', {
      alg: 'ES256',
      purpose: 'vapid',
      label: 'vapid',
    });
    const raw = await call<Uint8Array>(page, 'applicationServerKey', key.id);
    expect(raw.length).toBe(65);
    expect(raw[0]).toBe(4);
    expect(await call<Uint8Array>(page, 'publicKey', key.id, 'raw')).toEqual(raw);
    const subject = 'mailto:ops@app.example';
    const header = await call<string>(page, 'vapidAuth', key.id, {
      audience: PUSH,
      subject,
      expiresIn: 3600,
    });
    const { t, k } = parse(header);
    expect(k).toBe(b64u.encode(raw));

    // web-push's own checks, as it applies them to its VAPID details.
    vapidHelper.validatePublicKey(k);
    vapidHelper.validateSubject(decodeJwt(t).sub as string);
    vapidHelper.validateExpiration(decodeJwt(t).exp as number);

    // Same header shape as web-push's own VAPID JWT.
    const reference = vapidHelper.generateVAPIDKeys();
    const theirs = parse(
      vapidHelper.getVapidHeaders(
        PUSH,
        subject,
        reference.publicKey,
        reference.privateKey,
        'aes128gcm',
      ).Authorization,
    );
    expect(decodeProtectedHeader(t)).toEqual(decodeProtectedHeader(theirs.t));
    expect(Object.keys(decodeJwt(theirs.t)).every((c) => c in decodeJwt(t))).toBe(true);

    // jose verifies against the point in `k` (RFC 8292 §3.2), as a push service does.
    const point = b64u.decode(k);
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: b64u.encode(point.subarray(1, 33)),
      y: b64u.encode(point.subarray(33, 65)),
    };
    const { payload } = await jwtVerify(t, await importJWK(jwk, 'ES256'), {
      audience: PUSH,
      subject,
      algorithms: ['ES256'],
    });
    expect((payload.exp as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(3601);
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  test('audience, subject and lifetime rules are enforced with typed errors', async ({ page }) => {
    const key = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'vapid' });
    const ok = { audience: PUSH, subject: 'mailto:ops@app.example' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ok, audience: 'http://push.example' }, 'INVALID_ARGUMENT'],
      [{ ...ok, audience: `${PUSH}/` }, 'INVALID_ARGUMENT'],
      [{ ...ok, audience: `${PUSH}/fcm/send/abc` }, 'INVALID_ARGUMENT'],
      [{ ...ok, audience: 'https://user:pw@push.example' }, 'INVALID_ARGUMENT'],
      [{ ...ok, audience: 'not a url' }, 'INVALID_ARGUMENT'],
      [{ ...ok, subject: 'ops@app.example' }, 'INVALID_ARGUMENT'],
      [{ ...ok, subject: 'http://app.example/contact' }, 'INVALID_ARGUMENT'],
      [{ ...ok, subject: 'mailto:' }, 'INVALID_ARGUMENT'],
      [{ ...ok, expiresIn: 86401 }, 'OPERATION_NOT_ALLOWED'],
      [{ ...ok, expiresIn: -1 }, 'INVALID_ARGUMENT'],
      [{ ...ok, aud: PUSH }, 'INVALID_ARGUMENT'],
    ];
    for (const [options, code] of cases) {
      const err = await callError(page, 'vapidAuth', key.id, options);
      expect(isCode(err, code), `${JSON.stringify(options)} → ${err.code}`).toBe(true);
    }
    // https contact, 24 h exactly, loopback http only because this is a dev build.
    await call(page, 'vapidAuth', key.id, {
      ...ok,
      subject: 'https://app.example/c',
      expiresIn: 86400,
    });
    await call(page, 'vapidAuth', key.id, { ...ok, audience: 'http://localhost:8090' });

    // A key whose maximum lifetime is shorter caps VAPID too; nothing is signed.
    const short = await call<KeyView>(page, 'generateKey', {
      alg: 'ES256',
      purpose: 'vapid',
      maxTokenLifetime: 600,
    });
    const err = await callError(page, 'vapidAuth', short.id, { ...ok, expiresIn: 3600 });
    expect(isCode(err, 'OPERATION_NOT_ALLOWED')).toBe(true);
    expect((await call<KeyView>(page, 'getKey', short.id)).usage.count).toBe(0);

    // RFC 8292 requires ES256: no EdDSA key is a VAPID key, and an EdDSA token key is refused.
    const edVapid = await callError(page, 'generateKey', { alg: 'EdDSA', purpose: 'vapid' });
    expect(isCode(edVapid, 'INVALID_ARGUMENT')).toBe(true);
    const ed = await call<KeyView>(page, 'generateKey', { alg: 'EdDSA', purpose: 'jwt' });
    expect(isCode(await callError(page, 'vapidAuth', ed.id, ok), 'OPERATION_NOT_ALLOWED')).toBe(
      true,
    );
  });
});
