/**
 * `strongroom-verify --url` against the real servers with the GENERATED configs: a signed
 * fixture release served by nginx and by Caddy, both over plain loopback HTTP (the verifier
 * checks HSTS over https only; build/release/deploy-servers.test.ts checks nginx's HSTS over
 * TLS), must PASS
 * every row — status, Content-Type, Cache-Control and security headers of every file, the 404
 * probe, the folder URL and the five browser fetches of index.html. Runs where the binary is installed
 * (`.ci/run` installs both from apt); skipped elsewhere, with the reason.
 */
import { chmod, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CADDY,
  NGINX,
  type RunningServer,
  startCaddy,
  startNginx,
} from '../../build/release/deploy-servers';
import { signManifest } from '../../build/release/sign';
import { main } from './main';
import { bytesOf, makeRelease, ORIGINS, p256 } from './test-fixtures';
import type { VerifyReport } from './verify-deployment';

const key = p256();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

/** A signed fixture release in a folder the servers' workers can read; the verifier's arguments. */
async function signedRelease() {
  const r = await makeRelease();
  cleanup.push(() => rm(r.root, { recursive: true, force: true }));
  // mkdtemp makes 0700 folders: nginx's workers run as another user.
  for (const dir of [r.root, r.dir, join(r.dir, 'assets')]) await chmod(dir, 0o755);
  for (const name of await readdir(join(r.dir, 'assets')))
    await chmod(join(r.dir, 'assets', name), 0o644);
  await chmod(join(r.dir, 'index.html'), 0o644);
  const bundle = await signManifest(bytesOf(r), { kind: 'key', privateKeyPem: key.privateKeyPem });
  const bundlePath = join(r.root, 'release', 'bundle.json');
  const keyPath = join(r.root, 'release', 'pub.pem');
  await writeFile(bundlePath, JSON.stringify(bundle));
  await writeFile(keyPath, key.publicKeyPem);
  return { r, args: ['--manifest', r.manifestPath, '--bundle', bundlePath, '--key', keyPath] };
}

async function verifyAgainst(server: RunningServer, args: string[]) {
  let out = '';
  const code = await main(['--url', server.url, ...args, '--json'], {
    out: (t) => (out += t),
    err: (t) => (out += t),
  });
  const report = JSON.parse(out) as VerifyReport;
  return { code, report };
}

describe.skipIf(!NGINX)(
  'strongroom-verify --url against nginx with the generated nginx.conf',
  () => {
    it('PASSES every row', async () => {
      const { r, args } = await signedRelease();
      const server = await startNginx({ root: r.dir, origins: ORIGINS });
      cleanup.push(server.stop);
      const { code, report } = await verifyAgainst(server, args);
      expect(report.rows.filter((row) => !row.ok)).toEqual([]);
      expect(code).toBe(0);
      expect(report.rows.filter((row) => row.check === 'split')).toHaveLength(5);
    }, 60_000);
  },
);

describe.skipIf(!CADDY)(
  'strongroom-verify --url against Caddy with the generated Caddyfile',
  () => {
    it('PASSES every row', async () => {
      const { r, args } = await signedRelease();
      const server = await startCaddy({ root: r.dir, origins: ORIGINS });
      cleanup.push(server.stop);
      const { code, report } = await verifyAgainst(server, args);
      expect(report.rows.filter((row) => !row.ok)).toEqual([]);
      expect(code).toBe(0);
      expect(report.rows.filter((row) => row.check === 'split')).toHaveLength(5);
    }, 60_000);
  },
);
