/**
 * Local stand-ins for Sigstore's public services, for tests and offline dry runs: one loopback
 * HTTP server (127.0.0.1, random port) that answers as Fulcio, Rekor and a timestamp authority
 * using @sigstore/mock, the trusted root that verifies what they issue, and unsigned OIDC tokens
 * for any subject and issuer (the mock Fulcio does not check token signatures — nothing here is
 * fit for production trust).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  type HandlerFn,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';

/** A running mock Sigstore. */
export interface MockSigstore {
  /** Base URL of the mock Fulcio (`/api/v2/signingCert`). */
  readonly fulcioUrl: string;
  /** Base URL of the mock Rekor (`/api/v1/log/entries`). */
  readonly rekorUrl: string;
  /** Base URL of the mock timestamp authority (`/api/v1/timestamp`). */
  readonly tsaUrl: string;
  /** The trusted root (protobuf JSON form) that verifies this instance's certificates, log and timestamps. */
  readonly trustedRoot: unknown;
  /** Mint an (unsigned) OIDC identity token; Fulcio puts `subject` in the SAN and `issuer` in the issuer extension. */
  identityToken(subject: string, issuer: string): string;
  /** Close the server and its connections. */
  stop(): Promise<void>;
}

const MAX_BODY = 1 << 20;

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The exact bytes of a view (not the whole underlying buffer). */
function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function newKeyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Start the mock services on 127.0.0.1 (port chosen by the OS).
 *
 * @example
 * ```ts
 * const mock = await startMockSigstore();
 * try {
 *   const token = mock.identityToken('https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1', 'https://token.actions.githubusercontent.com');
 *   // sign with { fulcioUrl: mock.fulcioUrl, rekorUrl: mock.rekorUrl, tsaUrl: mock.tsaUrl, identityToken: token }
 * } finally {
 *   await mock.stop();
 * }
 * ```
 */
export async function startMockSigstore(): Promise<MockSigstore> {
  const routes = new Map<string, HandlerFn>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const handler = req.method === 'POST' ? routes.get(req.url ?? '') : undefined;
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    readBody(req)
      .then((body) => handler(body))
      .then(({ statusCode, response, contentType }) => {
        res.writeHead(statusCode, { 'Content-Type': contentType ?? 'text/plain' });
        res.end(typeof response === 'string' ? response : bytes(response));
      })
      .catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  // One fixed clock, on a whole second, for every service. pkijs writes GeneralizedTime with
  // trailing zeros of the fraction trimmed ("…23.5Z"), which @sigstore/core 3.x refuses ("invalid
  // time"), so a live clock fails about one timestamp in ten. The mock's root certificates take
  // `new Date()` as notBefore when created, so the clock is set only after they exist, rounded up.
  const clock = new Date();
  const ctlog = await initializeCTLog(newKeyPair(), clock);
  const ca = await initializeCA(newKeyPair(), ctlog, clock);
  const tlog = await initializeTLog(base, newKeyPair(), clock);
  const tsa = await initializeTSA(newKeyPair(), clock);
  clock.setTime(Math.ceil(Date.now() / 1000) * 1000);
  for (const h of [fulcioHandler(ca), rekorHandler(tlog), tsaHandler(tsa)])
    routes.set(h.path, h.fn);

  const validFor = { start: new Date(clock.getTime() - 60_000), end: undefined };
  const logKey = (publicKey: Buffer) => ({
    rawBytes: publicKey,
    keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
    validFor,
  });
  const root: TrustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: base,
        certChain: { certificates: [{ rawBytes: bytes(ca.rootCertificate) }] },
        validFor,
        operator: 'sigstore.mock',
      },
    ],
    tlogs: [
      {
        baseUrl: base,
        hashAlgorithm: HashAlgorithm.SHA2_256,
        publicKey: logKey(tlog.publicKey),
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest() },
        checkpointKeyId: undefined,
        operator: 'sigstore.mock',
      },
    ],
    ctlogs: [
      {
        baseUrl: base,
        hashAlgorithm: HashAlgorithm.SHA2_256,
        publicKey: logKey(ctlog.publicKey),
        logId: { keyId: bytes(ctlog.logID) },
        checkpointKeyId: undefined,
        operator: 'sigstore.mock',
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: base,
        certChain: {
          certificates: [
            { rawBytes: bytes(tsa.intCertificate) },
            { rawBytes: bytes(tsa.rootCertificate) },
          ],
        },
        validFor,
        operator: 'sigstore.mock',
      },
    ],
  };

  return {
    fulcioUrl: base,
    rekorUrl: base,
    tsaUrl: base,
    trustedRoot: TrustedRoot.toJSON(root),
    identityToken(subject, issuer) {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, sub: subject, aud: 'sigstore', iat: now, exp: now + 300 };
      return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.mock`;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
