/**
 * `npm run release:sign -- [--key key.pem] [--identity-token T] [--fulcio-url U] [--rekor-url U]
 * [--tsa-url U] [--manifest path] [--out path]`: sign dist/release/manifest.json into
 * dist/release/manifest.sigstore.json. With `--key` the signature is key-based (EC P-256 PEM,
 * no network); otherwise keyless, with the GitHub Actions OIDC token or `--identity-token`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describeError, isMain } from './cli-util';
import { MANIFEST_PATH } from './manifest';
import { type SignOptions, signManifestFile } from './sign';

/** The default bundle location, next to the manifest. */
export const BUNDLE_PATH = 'dist/release/manifest.sigstore.json';

const USAGE = `usage: release:sign -- [--key key.pem | --identity-token T] [--fulcio-url U] [--rekor-url U] [--tsa-url U]
                    [--manifest ${MANIFEST_PATH}] [--out ${BUNDLE_PATH}]`;

/**
 * Run the signing CLI; resolves with the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['--key', 'release-key.pem']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        key: { type: 'string' },
        'identity-token': { type: 'string' },
        'fulcio-url': { type: 'string' },
        'rekor-url': { type: 'string' },
        'tsa-url': { type: 'string' },
        manifest: { type: 'string', default: MANIFEST_PATH },
        out: { type: 'string', default: BUNDLE_PATH },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${describeError(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const str = (name: string) =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined;
  const key = str('key');
  if (key && (str('identity-token') || str('fulcio-url'))) {
    console.error(
      `--key is key-based signing; --identity-token and --fulcio-url are for keyless\n${USAGE}`,
    );
    return 2;
  }
  try {
    const options: SignOptions = key
      ? {
          kind: 'key',
          privateKeyPem: await readFile(key, 'utf8'),
          ...optional('tsaUrl', str('tsa-url')),
        }
      : {
          kind: 'keyless',
          ...optional('identityToken', str('identity-token')),
          ...optional('fulcioUrl', str('fulcio-url')),
          ...optional('rekorUrl', str('rekor-url')),
          ...optional('tsaUrl', str('tsa-url')),
        };
    const manifest = str('manifest') ?? MANIFEST_PATH;
    const out = str('out') ?? BUNDLE_PATH;
    await signManifestFile(manifest, out, options);
    console.log(`signed ${manifest} -> ${out} (${key ? 'key-based' : 'keyless'})`);
    return 0;
  } catch (err) {
    console.error(`release:sign: ${describeError(err)}`);
    return 1;
  }
}

function optional<K extends string>(
  name: K,
  value: string | undefined,
): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
