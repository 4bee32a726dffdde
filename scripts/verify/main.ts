/**
 * `strongroom-verify`: audit a Strongroom enclave deployment against its signed release manifest.
 * Parses arguments, loads the manifest, bundle, key or trusted root (from files or URLs), runs
 * {@link verifyDeployment}, prints a table (or JSON) and returns 0 only when every check passed.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { SignerPolicy } from '../../build/release/verify-bundle';
import type { CommandRunner } from './rebuild';
import { formatTable, verdict } from './report';
import { dirSource, fetchBytes, urlSource } from './sources';
import { verifyDeployment } from './verify-deployment';

const USAGE = `usage: strongroom-verify (--url <base URL> | --dir <folder>) --manifest <file|URL> --bundle <file|URL>
         (--identity <certificate SAN> --issuer <OIDC issuer> [--trusted-root <file>] | --key <public.pem>)
         [--expect-version <v>] [--expect-commit <sha>] [--rebuild <git ref> [--repo <git URL|path>]] [--json]

  --identity/--issuer are compared exactly (no patterns). Without --trusted-root, Sigstore's
  public-good trusted root is fetched through TUF. Exit status: 0 all checks passed, 1 a check
  failed, 2 usage error.`;

/** Extra seams for tests. */
export interface CliDeps {
  readonly run?: CommandRunner;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

/** Read a local file, or fetch an http(s) URL. */
async function load(ref: string): Promise<Uint8Array> {
  if (/^https?:\/\//i.test(ref)) {
    const got = await fetchBytes(new URL(ref));
    if (!got) throw new Error(`${ref}: 404`);
    return got.bytes;
  }
  return readFile(ref);
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
    const signer: SignerPolicy = values.key
      ? { kind: 'key', publicKeyPem: new TextDecoder().decode(await load(values.key)) }
      : {
          kind: 'keyless',
          identity: values.identity ?? '',
          issuer: values.issuer ?? '',
          ...(values['trusted-root']
            ? { trustedRoot: parseJson(await load(values['trusted-root']), '--trusted-root') }
            : {}),
        };
    const report = await verifyDeployment({
      source: values.url ? urlSource(values.url) : dirSource(values.dir ?? ''),
      manifestBytes: await load(values.manifest ?? ''),
      bundleJson: parseJson(await load(values.bundle ?? ''), '--bundle'),
      signer,
      ...(values['expect-version'] !== undefined
        ? { expectVersion: values['expect-version'] }
        : {}),
      ...(values['expect-commit'] !== undefined ? { expectCommit: values['expect-commit'] } : {}),
      ...(values.rebuild !== undefined
        ? {
            rebuild: {
              ref: values.rebuild,
              repo: values.repo ?? '.',
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
    err(`strongroom-verify: ${e instanceof Error ? e.message : String(e)}`);
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
  const keyless =
    v.identity !== undefined || v.issuer !== undefined || v['trusted-root'] !== undefined;
  if (v.key && keyless) return '--key excludes --identity, --issuer and --trusted-root';
  if (!v.key && (!v.identity || !v.issuer)) return 'give --key, or both --identity and --issuer';
  if (v.repo !== undefined && v.rebuild === undefined) return '--repo needs --rebuild';
  return undefined;
}
