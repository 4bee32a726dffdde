/**
 * `strongroom-verify`: audit a Strongroom enclave deployment against its signed release manifest.
 * Parses arguments, loads the manifest, bundle, key or trusted root (from files or URLs), runs
 * {@link verifyDeployment}, prints a table (or JSON) and returns 0 only when every check passed.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { SignerPolicy } from '../../build/release/verify-bundle';
import type { CommandRunner } from './rebuild';
import { formatTable, verdict } from './report';
import {
  type DeploymentSource,
  describeFailure,
  dirSource,
  fetchBytes,
  urlSource,
} from './sources';
import { verifyDeployment } from './verify-deployment';
import { assertVersion } from './version';

/** `strongroom-verify --help`. */
export const USAGE = `usage: strongroom-verify (--url <base URL> | --dir <folder>) --manifest <file|URL> --bundle <file|URL>
         (--identity <certificate SAN> --issuer <OIDC issuer> | --key <public key .pem>) [--trusted-root <file>]
         [--expect-version <v>] [--min-version <v>] [--expect-commit <sha>]
         [--rebuild <git ref> [--repo <git URL|path>]] [--json]

Audit a Strongroom enclave deployment (a live URL or a folder) against its signed release manifest.

  --url <base URL>        the enclave as deployed (https; http only on loopback): every file's
                          bytes, status, Content-Type and Cache-Control, the security headers of
                          every response (a 404 under /assets/ too), and index.html fetched six
                          ways (as Node, as Chromium's and Firefox's iframe navigation from a
                          cross-site and a same-site app, as the enclave's self-fetch; all but
                          Node with a fresh ?sr= query, as the bridge loads it), which must agree
  --dir <folder>          a folder instead: a downloaded release, or what you are about to deploy
  --manifest, --bundle    the release's manifest.json and manifest.sigstore.json (files or URLs)
  --identity, --issuer    who must have signed (keyless releases): compared exactly, no patterns
  --trusted-root <file>   Sigstore trusted root for offline verification (default: fetched via TUF);
                          with --key, the timestamp authorities that check a key-signed
                          release's RFC 3161 timestamp (then required)
  --key <public.pem>      the PUBLIC key of a key-signed release (openssl pkey -in key.pem -pubout)
  --expect-version <v>    fail unless the manifest is of this version (also --expect-commit <sha>)
  --min-version <v>       fail if the manifest's version is lower (refuses a rollback)
  --rebuild <git ref>     also clone the source at that ref, build it, and compare every file
  --repo <git URL|path>   the repository for --rebuild (default: the signed manifest's
                          toolchain.repository, else the current folder)
  --json                  the full report as JSON
  --help                  this text

Exit status: 0 all checks passed, 1 a check failed, 2 usage error.

examples:
  strongroom-verify --url https://kms.app.example/ \\
    --manifest https://github.com/strongroom/strongroom/releases/download/v0.1.0/manifest.json \\
    --bundle https://github.com/strongroom/strongroom/releases/download/v0.1.0/manifest.sigstore.json \\
    --identity https://github.com/strongroom/strongroom/.github/workflows/release.yml@refs/tags/v0.1.0 \\
    --issuer https://token.actions.githubusercontent.com --expect-version 0.1.0

  strongroom-verify --dir dist/enclave --manifest dist/release/manifest.json \\
    --bundle dist/release/manifest.sigstore.json --key release-key.pub.pem

  npx @strongroom/verify --dir ./strongroom-enclave-v0.1.0 --manifest manifest.json \\
    --bundle manifest.sigstore.json --key release-key.pub.pem --rebuild v0.1.0 \\
    --repo https://github.com/strongroom/strongroom.git`;

/** Extra seams for tests. */
export interface CliDeps {
  readonly run?: CommandRunner;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

/** A mistake in how the command was called: exit status 2. */
class UsageError extends Error {}

/** Read a local file (a missing one is a usage error), or fetch an http(s) URL. */
async function load(ref: string, option: string): Promise<Uint8Array> {
  if (/^https?:\/\//i.test(ref)) {
    const got = await fetchBytes(new URL(ref));
    if (!got) throw new Error(`${ref}: 404`);
    return got.bytes;
  }
  try {
    return await readFile(ref);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
      throw new UsageError(
        `${option} ${ref}: ${code === 'EISDIR' ? 'a folder, not a file' : 'no such file'}`,
      );
    }
    throw e;
  }
}

/** The PEM given to --key: a public key, never a private one. */
function publicKeyPem(bytes: Uint8Array, path: string): string {
  const pem = new TextDecoder().decode(bytes);
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new UsageError(
      `--key ${path} is a PRIVATE key: give the public key (openssl pkey -in ${path} -pubout -out public.pem), and keep the private one off this machine`,
    );
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    throw new UsageError(`--key ${path}: not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  }
  return pem;
}

/** --dir must be an existing folder. */
async function checkDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new UsageError(`--dir ${dir}: no such folder`);
  if (!info.isDirectory()) throw new UsageError(`--dir ${dir}: not a folder`);
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`${what} is not JSON`);
  }
}

/**
 * Run the verifier; resolves with the exit code (0 pass, 1 mismatch, 2 usage).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['--dir', 'dist/enclave', '--manifest', 'm.json', '--bundle', 'b.json', '--key', 'pub.pem']);
 * ```
 */
export async function main(argv: readonly string[], deps: CliDeps = {}): Promise<number> {
  const out = deps.out ?? ((t: string) => console.log(t));
  const err = deps.err ?? ((t: string) => console.error(t));
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const usage = checkUsage(values);
  if (usage) {
    err(`${usage}\n${USAGE}`);
    return 2;
  }
  try {
    if (values.dir !== undefined) await checkDir(values.dir);
    const trustedRoot = values['trusted-root']
      ? {
          trustedRoot: parseJson(
            await load(values['trusted-root'], '--trusted-root'),
            '--trusted-root',
          ),
        }
      : {};
    const signer: SignerPolicy = values.key
      ? {
          kind: 'key',
          publicKeyPem: publicKeyPem(await load(values.key, '--key'), values.key),
          ...trustedRoot,
        }
      : {
          kind: 'keyless',
          identity: values.identity ?? '',
          issuer: values.issuer ?? '',
          ...trustedRoot,
        };
    let source: DeploymentSource;
    try {
      source = values.url ? urlSource(values.url) : dirSource(values.dir ?? '');
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const manifestBytes = await load(values.manifest ?? '', '--manifest');
    const bundleJson = parseJson(await load(values.bundle ?? '', '--bundle'), '--bundle');
    const report = await verifyDeployment({
      source,
      manifestBytes,
      bundleJson,
      signer,
      ...(values['expect-version'] !== undefined
        ? { expectVersion: values['expect-version'] }
        : {}),
      ...(values['expect-commit'] !== undefined ? { expectCommit: values['expect-commit'] } : {}),
      ...(values['min-version'] !== undefined ? { minVersion: values['min-version'] } : {}),
      ...(values.rebuild !== undefined
        ? {
            rebuild: {
              ref: values.rebuild,
              ...(values.repo !== undefined ? { repo: values.repo } : {}),
              ...(deps.run ? { run: deps.run } : {}),
            },
          }
        : {}),
    });
    out(
      values.json
        ? JSON.stringify({ ...report, verdict: verdict(report) }, null, 2)
        : formatTable(report),
    );
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`strongroom-verify: ${e.message} (strongroom-verify --help lists the options)`);
      return 2;
    }
    err(`strongroom-verify: ${describeFailure(e)}`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      url: { type: 'string' },
      dir: { type: 'string' },
      manifest: { type: 'string' },
      bundle: { type: 'string' },
      identity: { type: 'string' },
      issuer: { type: 'string' },
      'trusted-root': { type: 'string' },
      key: { type: 'string' },
      'expect-version': { type: 'string' },
      'expect-commit': { type: 'string' },
      'min-version': { type: 'string' },
      rebuild: { type: 'string' },
      repo: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
}

function checkUsage(v: ReturnType<typeof parse>['values']): string | undefined {
  if ((v.url === undefined) === (v.dir === undefined)) return 'give exactly one of --url and --dir';
  if (!v.manifest || !v.bundle) return '--manifest and --bundle are required';
  const keyless = v.identity !== undefined || v.issuer !== undefined;
  if (v.key && keyless) return '--key excludes --identity and --issuer';
  if (!v.key && (!v.identity || !v.issuer)) return 'give --key, or both --identity and --issuer';
  if (v.repo !== undefined && v.rebuild === undefined) return '--repo needs --rebuild';
  if (v['min-version'] !== undefined) {
    try {
      assertVersion(v['min-version']);
    } catch (e) {
      return `--min-version: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return undefined;
}
