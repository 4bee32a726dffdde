/**
 * Small helpers shared by the release command-line tools: detecting direct execution and printing
 * failures without leaking secrets (only the error's code and message, never its cause).
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ReleaseVerificationError } from './errors';

/**
 * True when the module at `moduleUrl` is the script Node was started with.
 *
 * @example
 * ```ts
 * if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}

/**
 * One line for an error: `CODE: message` for release errors, the message otherwise. The cause is
 * left out on purpose: Sigstore's errors can quote the identity token.
 *
 * @example
 * ```ts
 * console.error(`sign: ${describeError(err)}`);
 * ```
 */
export function describeError(err: unknown): string {
  if (err instanceof ReleaseVerificationError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
