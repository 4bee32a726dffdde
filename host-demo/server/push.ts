/**
 * The relay's Web Push sender: `web-push` encrypts the payload for the subscription (RFC 8291,
 * `aes128gcm`) and sends it with the `Authorization` header the page got from the enclave's
 * `vapidAuth` (RFC 8292), as it is. The server holds no VAPID private key, so it passes no
 * `vapidDetails` (docs/web-push.md).
 */
import { Agent } from 'node:https';
import webpush from 'web-push';

/** A stored subscription and its VAPID header. */
export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
  authorization: string;
}

/** What the push service answered: its status, and its error code when it gave one. */
export interface PushOutcome {
  /** The push service's origin (never the full endpoint: it is a capability). */
  pushService: string;
  status: number;
  code: string | null;
}

/** Sends one push message. */
export type PushSender = (target: PushTarget, payload: string) => Promise<PushOutcome>;

/** Seconds a push service keeps an undelivered message. */
export const PUSH_TTL_S = 60;

/**
 * The `web-push` sender. `ca`: extra certificates (PEM) to trust for push services — only for
 * a local push-service stand-in in tests; real push services have public certificates.
 */
export function webPushSender(options: { ca?: string } = {}): PushSender {
  const agent = options.ca ? new Agent({ ca: options.ca, keepAlive: false }) : undefined;
  return async (target, payload) => {
    const pushService = new URL(target.endpoint).origin;
    try {
      const result = await webpush.sendNotification(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        payload,
        {
          headers: { Authorization: target.authorization },
          TTL: PUSH_TTL_S,
          contentEncoding: 'aes128gcm',
          ...(agent ? { agent } : {}),
        },
      );
      return { pushService, status: result.statusCode, code: null };
    } catch (err) {
      if (err instanceof webpush.WebPushError) {
        // The push service's error code, if it sent one; only a short token is passed on.
        let code: string | null = null;
        try {
          const parsed = JSON.parse(err.body) as { error?: { code?: unknown } };
          const c = parsed.error?.code;
          if (typeof c === 'string' && /^[A-Z_]{1,40}$/.test(c)) code = c;
        } catch {
          code = null;
        }
        return { pushService, status: err.statusCode, code };
      }
      return { pushService, status: 0, code: 'UNREACHABLE' };
    }
  };
}
