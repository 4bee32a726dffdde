/**
 * The demo app's identity key through its life, Web Push with the enclave's VAPID key, and the
 * app's message when the enclave rate-limits it — end to end, with the demo server as a child
 * process and a local push-service stand-in (`host-demo/test/push-service.ts`, HTTPS on
 * loopback) that checks VAPID headers as RFC 8292 requires and decrypts the RFC 8291 payload.
 *
 * A browser subscribes at its vendor's push service, which a test cannot reach, so here
 * `PushManager.prototype.subscribe` is replaced (before the app loads) by one that hands the
 * app's `applicationServerKey` to the stand-in, as a push service's subscribe does, and returns
 * the stand-in's test subscription, whose private keys the test holds. Everything else is real:
 * the enclave's VAPID key and headers, the app, the server, `web-push`, TLS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpush from 'web-push';
import { PushServiceStandIn, type SubscriptionJson } from '../host-demo/test/push-service';
import { findFirefox } from './support/browsers';
import { DemoServer, demoReady, openDemo } from './support/demo-server';
import { call, connectHarness, expect, openHarness, test } from './support/test';

let server: DemoServer;
let dir: string;
let push: PushServiceStandIn;

test.beforeEach(async ({ urls }) => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-demo-life-'));
  push = await PushServiceStandIn.start();
  writeFileSync(join(dir, 'push-ca.pem'), push.ca);
  server = new DemoServer(join(dir, 'data'), new URL(urls.app).origin, [
    '--push-ca',
    join(dir, 'push-ca.pem'),
  ]);
  await server.start();
});
test.afterEach(async () => {
  await server.kill();
  await push.close();
  rmSync(dir, { recursive: true, force: true });
});

test.describe('when the person rotates, schedules the deletion of, and revokes the identity key', () => {
  // The service worker would hide requests from page.route in Chromium; it is not needed here.
  test.use({ serviceWorkers: 'block' });

  test('the server sees each step, and a new visit after revocation makes a new identity', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    const first = (await page.locator('#key-id').textContent()) ?? '';
    await page.fill('#note-text', 'written with version 1');
    await page.click('#note-save');
    await expect(page.locator('#notes td.plain', { hasText: 'version 1' })).toBeVisible();

    // Rotation: a new version, registered by the server under the same account. The old
    // version signs the request that opens it, the new one the request that completes it.
    const keyIds: Record<string, string> = {};
    page.on('request', async (req) => {
      const path = new URL(req.url()).pathname;
      if (req.method() === 'POST' && path.endsWith('/identity/rotation')) {
        keyIds.open =
          /keyid="([^"]+)"/.exec((await req.allHeaders())['signature-input'] ?? '')?.[1] ?? '';
      }
      if (req.method() === 'POST' && path.endsWith('/identity/rotation/complete')) {
        keyIds.complete =
          /keyid="([^"]+)"/.exec((await req.allHeaders())['signature-input'] ?? '')?.[1] ?? '';
      }
    });
    await page.click('#key-rotate');
    await expect(page.locator('#server-state')).toHaveAttribute('data-version', '2');
    const second = (await page.locator('#key-id').textContent()) ?? '';
    expect(second).not.toBe(first);
    expect(keyIds).toEqual({ open: first, complete: second });
    await expect(page.locator('#key-state')).toContainText('active, EdDSA, version 2');
    expect(await server.registry()).toMatchObject([
      { keyId: first, state: 'rotated', version: 1 },
      { keyId: second, state: 'active', version: 2 },
    ]);
    // The new version reads the notes the account had (a reload signs with it).
    await page.reload();
    await demoReady(page);
    await expect(page.locator('#key-id')).toHaveText(second);
    await expect(
      page.locator('#notes td.plain', { hasText: 'written with version 1' }),
    ).toBeVisible();
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page.screenshot({ path: 'host-demo/docs/demo-rotated.png', fullPage: true });
    }

    // Scheduled deletion: the server first, then the enclave; then cancelled in both.
    await page.click('#key-delete');
    await expect(page.locator('#server-state')).toHaveAttribute('data-state', 'pending-deletion');
    await expect(page.locator('#key-state')).toHaveAttribute('data-state', 'pending-deletion');
    expect((await server.registry()).at(-1)).toMatchObject({ state: 'pending-deletion' });
    await page.click('#key-cancel');
    await expect(page.locator('#server-state')).toHaveAttribute('data-state', 'active');
    await expect(page.locator('#key-state')).toHaveAttribute('data-state', 'active');
    expect((await server.registry()).at(-1)).toMatchObject({ state: 'active' });

    // Revocation: for ever, on the server and in the enclave.
    await page.click('#key-revoke');
    await expect(page.locator('#server-state')).toHaveAttribute('data-state', 'revoked');
    await expect(page.locator('#key-state')).toHaveAttribute('data-state', 'revoked');
    expect((await server.registry()).at(-1)).toMatchObject({ keyId: second, state: 'revoked' });
    await expect(page.locator('#key-rotate')).toBeDisabled();
    // The next visit makes a new identity; the revoked one stays refused.
    await page.reload();
    await demoReady(page);
    const third = (await page.locator('#key-id').textContent()) ?? '';
    expect([first, second]).not.toContain(third);
    expect((await server.registry()).map((k) => k.state)).toEqual(['rotated', 'revoked', 'active']);
  });

  test('an interrupted rotation that can no longer complete is forgotten, and the key registers anew', async ({
    page,
    urls,
  }) => {
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    const first = (await page.locator('#key-id').textContent()) ?? '';
    // The rotation is opened and done in the enclave, but its completion never reaches the server.
    await page.route('**/identity/rotation/complete', (route) =>
      route.abort('internetdisconnected'),
    );
    await page.click('#key-rotate');
    await expect(page.locator('#message')).toContainText('The server cannot be reached');
    const stored = await page.evaluate(() => localStorage.getItem('strongroom-demo rotation'));
    expect(JSON.parse(stored ?? 'null')).toMatchObject({ oldKid: first });
    await page.unroute('**/identity/rotation/complete');
    // By the next visit the server no longer has that rotation (as after its 10 minutes): the
    // stored id is replaced by one the server never issued.
    await page.evaluate(() => {
      const key = 'strongroom-demo rotation';
      const entry = JSON.parse(localStorage.getItem(key) ?? '{}') as Record<string, unknown>;
      localStorage.setItem(key, JSON.stringify({ ...entry, rotationId: 'AAAAAAAAAAAAAAAAAAAAAA' }));
    });
    await page.reload();
    await demoReady(page);
    await expect(page.locator('#registration')).toHaveAttribute('data-rotation', 'abandoned');
    await expect(page.locator('#registration')).toContainText('CHALLENGE_INVALID');
    expect(await page.evaluate(() => localStorage.getItem('strongroom-demo rotation'))).toBeNull();
    const second = (await page.locator('#key-id').textContent()) ?? '';
    expect(second).not.toBe(first);
    await expect(page.locator('#key-state')).toContainText('active, EdDSA, version 2');
    // The new version is a new account; the old one stays as it was.
    expect(await server.registry()).toMatchObject([
      { keyId: first, state: 'active', version: 1 },
      { keyId: second, state: 'active', version: 1 },
    ]);
    // And it works: a signed request (a note) succeeds.
    await page.fill('#note-text', 'after the abandoned rotation');
    await page.click('#note-save');
    await expect(
      page.locator('#notes td.plain', { hasText: 'after the abandoned rotation' }),
    ).toBeVisible();
  });

  test('a rate-limited enclave is explained with its wait', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    // The relay key allows 10 tokens a minute: clicking on, the enclave refuses one.
    for (let i = 0; i < 20; i++) {
      await page.click('#relay-run');
      await expect(page.locator('#relay-run')).toBeEnabled();
      if ((await page.locator('#message').getAttribute('data-code')) === 'RATE_LIMITED') break;
    }
    await expect(page.locator('#message')).toHaveAttribute('data-code', 'RATE_LIMITED');
    await expect(page.locator('#message')).toBeVisible();
    await expect(page.locator('#message')).toContainText(
      /the enclave asks to wait \d+ s \(RATE_LIMITED\)/,
    );
    await expect(page.locator('#relay-result')).toHaveAttribute('data-state', 'error');
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page.screenshot({ path: 'host-demo/docs/demo-rate-limited.png' });
    }
  });
});

test.describe('when the app subscribes to push and the relay sends one', () => {
  test('the push service accepts the enclave’s header, then refuses it expired, for another audience, and from another key', async ({
    page,
    context,
    urls,
    browserName,
    topology,
  }) => {
    const subscriptions: SubscriptionJson[] = [];
    const serverKeys: string[] = [];
    await page.exposeFunction('__pushStandInSubscribe', (applicationServerKey: string) => {
      serverKeys.push(applicationServerKey);
      const sub = push.subscribe(Buffer.from(applicationServerKey, 'base64url'));
      subscriptions.push(sub);
      return sub;
    });
    await page.addInitScript(() => {
      if (!('PushManager' in window)) return;
      const standIn = (window as unknown as Record<string, (k: string) => Promise<unknown>>)
        .__pushStandInSubscribe as (k: string) => Promise<{ endpoint: string }>;
      PushManager.prototype.subscribe = async function subscribe(options) {
        const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer);
        let text = '';
        for (const b of key) text += String.fromCharCode(b);
        const json = await standIn(
          btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
        );
        return {
          endpoint: json.endpoint,
          expirationTime: null,
          options,
          getKey: () => null,
          toJSON: () => json,
          unsubscribe: async () => true,
        } as unknown as PushSubscription;
      };
    });
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    test.skip(
      !(await page.evaluate(() => 'PushManager' in window)),
      `${browserName} as Playwright runs it has no Push API`,
    );

    await page.click('#push-subscribe');
    await expect(page.locator('#push-subscription')).toHaveAttribute('data-state', 'subscribed');
    await expect(page.locator('#push-subscription')).toContainText(push.origin);
    // The VAPID header's remaining life: 12 h, at most (RFC 8292 allows 24 h).
    const headerLife = page.locator('#push-subscription');
    await expect(headerLife).toHaveText(/VAPID header: \d+ s left \(until /);
    const left = Number(/(\d+) s left/.exec((await headerLife.textContent()) ?? '')?.[1]);
    expect(left).toBeGreaterThan(12 * 3600 - 60);
    expect(left).toBeLessThanOrEqual(12 * 3600);
    const headerExpiresAt = Number(await headerLife.getAttribute('data-expires-at'));
    expect(headerExpiresAt).toBeLessThanOrEqual(Date.now() + 12 * 3600_000);
    expect(headerExpiresAt).toBeGreaterThan(Date.now() + 12 * 3600_000 - 60_000);
    // The app subscribed with the enclave's VAPID key (65-byte P-256 point).
    expect(Buffer.from(serverKeys[0] ?? '', 'base64url')).toHaveLength(65);

    // 1. Accepted: the stand-in checked the header and decrypted what the relay sent.
    await page.fill('#push-text', 'a push from the relay');
    await page.click('#push-send');
    await expect(page.locator('#push-result')).toHaveAttribute('data-state', 'accepted');
    expect(push.received).toHaveLength(1);
    const delivery = push.received[0];
    expect(JSON.parse(delivery?.plaintext ?? '{}')).toEqual({
      title: 'Strongroom notes',
      body: 'a push from the relay',
    });
    expect(delivery?.claims).toMatchObject({
      aud: push.origin,
      sub: 'mailto:demo@strongroom.example',
    });
    const exp = delivery?.claims.exp ?? 0;
    expect(exp - Date.now() / 1000).toBeLessThanOrEqual(12 * 3600);

    // 2. Expired: the push service's clock is past the header's exp; the relay cannot renew it.
    push.now = () => (exp + 1) * 1000;
    await page.click('#push-send');
    await expect(page.locator('#push-result')).toHaveAttribute('data-state', 'refused');
    await expect(page.locator('#push-result')).toHaveAttribute('data-code', 'VAPID_EXPIRED');
    push.now = () => Date.now();

    // 3 and 4: headers the same enclave makes for this origin (another tab of the app), sent
    // with web-push as the relay sends them.
    const other = await context.newPage();
    await openHarness(other, urls.app);
    await connectHarness(other, { url: urls.enclave });
    const keys = await call<{ id: string; label: string }[]>(other, 'listKeys');
    const vapid = keys.find((k) => k.label === 'strongroom-demo push');
    if (!vapid) throw new Error('no VAPID key');
    const subject = 'mailto:demo@strongroom.example';
    const forOther = await call<string>(other, 'vapidAuth', vapid.id, {
      audience: 'https://push.other.example',
      subject,
    });
    const another = await call<{ id: string }>(other, 'generateKey', {
      alg: 'ES256',
      purpose: 'vapid',
      label: 'another app key',
    });
    const fromAnother = await call<string>(other, 'vapidAuth', another.id, {
      audience: push.origin,
      subject,
    });
    const agent = new Agent({ ca: push.ca });
    const send = async (authorization: string) => {
      try {
        await webpush.sendNotification(subscriptions[0] as SubscriptionJson, 'x', {
          headers: { Authorization: authorization },
          TTL: 60,
          agent,
        });
        return 'accepted';
      } catch (err) {
        if (!(err instanceof webpush.WebPushError)) throw err;
        return `${err.statusCode} ${(JSON.parse(err.body) as { error: { code: string } }).error.code}`;
      }
    };
    if (topology === 'cross-site' && browserName === 'chromium') {
      await page.locator('#push-h').scrollIntoViewIfNeeded();
      await page.screenshot({ path: 'host-demo/docs/demo-push.png' });
    }
    expect(await send(forOther)).toBe('403 VAPID_AUDIENCE');
    expect(await send(fromAnother)).toBe('403 VAPID_KEY_MISMATCH');
    agent.destroy();
    expect(push.received).toHaveLength(1);
    await other.close();
  });
});

test.describe('when Firefox subscribes for real at a local push service', () => {
  test('Firefox subscribes over the WebSocket push protocol, and its service worker receives the relay’s push', async ({
    playwright,
    urls,
    browserName,
  }) => {
    test.skip(
      browserName !== 'firefox',
      "Chromium subscribes at Google's FCM only (no setting points it elsewhere); this is Firefox's dom.push.serverURL",
    );
    // This test's own Firefox, whose push service is the stand-in (Mozilla's WebSocket
    // protocol); notifications allowed, as a person who clicked Allow would.
    const serverURL = await push.acceptBrowsers();
    const browser = await playwright.firefox.launch({
      channel: 'moz-firefox',
      executablePath: findFirefox(),
      firefoxUserPrefs: {
        'dom.push.serverURL': serverURL,
        'dom.push.testing.allowInsecureServerURL': true,
        'dom.push.connection.enabled': true,
        'dom.push.enabled': true,
        'permissions.default.desktop-notification': 1,
      },
    });
    try {
      const page = await (await browser.newContext()).newPage();
      await openDemo(page, urls.app, urls.enclave, server);
      await demoReady(page);
      await page.click('#push-subscribe');
      await expect(page.locator('#push-subscription')).toHaveAttribute('data-state', 'subscribed');
      // Firefox registered at the stand-in with the enclave's VAPID key, and got its endpoint.
      expect(push.browserSubscriptions).toHaveLength(1);
      await expect(page.locator('#push-subscription')).toContainText(push.origin);

      await page.fill('#push-text', 'a real push, decrypted by Firefox');
      await page.click('#push-send');
      await expect(page.locator('#push-result')).toHaveAttribute('data-state', 'accepted');
      // The stand-in checked the header and forwarded the ciphertext; Firefox decrypted it with
      // keys only it holds, and its service worker told the page.
      expect(push.forwarded).toHaveLength(1);
      expect(push.forwarded[0]?.claims.aud).toBe(push.origin);
      expect(push.received).toHaveLength(0);
      await expect(page.locator('#push-received')).toHaveText(
        'the service worker received: a real push, decrypted by Firefox',
      );
    } finally {
      await browser.close();
    }
  });
});
