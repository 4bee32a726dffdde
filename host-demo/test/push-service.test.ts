/**
 * The push-service stand-in on its own: RFC 8291 decryption against the RFC's §5 example, and
 * every RFC 8292 check against pushes that `web-push` sends with VAPID headers made here with
 * node:crypto (valid, expired, 24 h+, another audience, another key, no subject, forged).
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { decryptWebPush, PushServiceStandIn, type SubscriptionJson } from './push-service';

describe('RFC 8291 §5 example', () => {
  it('decrypts the example message with the user agent keys', () => {
    const body = Buffer.from(
      'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
      'base64url',
    );
    const uaPrivate = Buffer.from('q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94', 'base64url');
    const auth = Buffer.from('BTBZMqHH6r4Tts7J_aSIgg', 'base64url');
    expect(decryptWebPush(body, uaPrivate, auth).toString('utf8')).toBe(
      'When I grow up, I want to be a watermelon',
    );
    const tampered = Buffer.from(body);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => decryptWebPush(tampered, uaPrivate, auth)).toThrow('decryption failed');
  });
});

/** A VAPID key pair, as the enclave's `vapid` key would be: its 65-byte public key `k`. */
function vapidKey(): { privateKey: KeyObject; k: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const k = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  return { privateKey, k };
}

/** `vapid t=…, k=…` signed by `signer`, claiming key `k`. */
function header(signer: KeyObject, k: Buffer, claims: Record<string, unknown>): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ typ: 'JWT', alg: 'ES256' })}.${enc(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer, dsaEncoding: 'ieee-p1363' });
  return `vapid t=${input}.${signature.toString('base64url')}, k=${k.toString('base64url')}`;
}

describe('the push-service stand-in', () => {
  let service: PushServiceStandIn;
  let agent: Agent;
  const app = vapidKey();
  let subscription: SubscriptionJson;

  beforeAll(async () => {
    service = await PushServiceStandIn.start();
    agent = new Agent({ ca: service.ca });
    subscription = service.subscribe(app.k);
  });
  afterAll(async () => {
    agent.destroy();
    await service.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const good = () => ({ aud: service.origin, exp: now() + 3600, sub: 'mailto:ops@app.example' });

  async function send(authorization: string, text = 'hello'): Promise<[number, string | null]> {
    try {
      const result = await webpush.sendNotification(subscription, text, {
        headers: { Authorization: authorization },
        TTL: 60,
        agent,
      });
      return [result.statusCode, null];
    } catch (err) {
      if (!(err instanceof webpush.WebPushError)) throw err;
      return [err.statusCode, (JSON.parse(err.body) as { error: { code: string } }).error.code];
    }
  }

  describe('when the header is valid', () => {
    it('accepts the push (201) and decrypts what web-push encrypted', async () => {
      expect(await send(header(app.privateKey, app.k, good()), 'a sealed hello')).toEqual([
        201,
        null,
      ]);
      const last = service.received.at(-1);
      expect(last?.plaintext).toBe('a sealed hello');
      expect(last?.claims.aud).toBe(service.origin);
      expect(last?.ttl).toBe(60);
    });
  });

  describe('when the header is not acceptable', () => {
    it.each([
      ['expired', () => ({ ...good(), exp: now() - 1 }), 'VAPID_EXPIRED'],
      [
        'more than 24 h away',
        () => ({ ...good(), exp: now() + 24 * 3600 + 60 }),
        'VAPID_EXP_TOO_FAR',
      ],
      [
        'for another push service',
        () => ({ ...good(), aud: 'https://push.other.example' }),
        'VAPID_AUDIENCE',
      ],
      ['without a subject', () => ({ aud: service.origin, exp: now() + 60 }), 'VAPID_SUBJECT'],
    ])('refuses a token %s', async (_what, claims, code) => {
      const before = service.received.length;
      expect(await send(header(app.privateKey, app.k, claims()))).toEqual([403, code]);
      expect(service.received).toHaveLength(before);
    });

    it('refuses a valid token of another key (k is not the subscription’s key)', async () => {
      const other = vapidKey();
      expect(await send(header(other.privateKey, other.k, good()))).toEqual([
        403,
        'VAPID_KEY_MISMATCH',
      ]);
    });

    it('refuses a token signed by another key that claims the subscription’s k', async () => {
      const other = vapidKey();
      expect(await send(header(other.privateKey, app.k, good()))).toEqual([403, 'VAPID_SIGNATURE']);
    });

    it('refuses a push without VAPID (401) and a payload it cannot decrypt', async () => {
      expect(await send('Bearer abc')).toEqual([401, 'VAPID_MISSING']);
      const wrongKeys = {
        ...subscription,
        keys: { ...subscription.keys, auth: Buffer.alloc(16, 7).toString('base64url') },
      };
      const res = await webpush
        .sendNotification(wrongKeys, 'x', {
          headers: { Authorization: header(app.privateKey, app.k, good()) },
          TTL: 60,
          agent,
        })
        .catch((err: InstanceType<typeof webpush.WebPushError>) => err);
      expect(res.statusCode).toBe(400);
    });
  });
});
