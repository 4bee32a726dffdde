/**
 * Small helpers shared by the release command-line tools: detecting direct execution and printing
 * failures without leaking secrets (only the error's code and message, never its cause).
 */
import { ReleaseVerificationError } from './errors';

/** The repository's one entry-point check (see build/is-main.ts). */
export { isMain } from '../is-main';

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
