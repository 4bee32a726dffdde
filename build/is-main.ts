/**
 * The one "am I the entry point?" check of every command in this repository (`npm run build`,
 * `npm start`, the test build, the release tools). It compares file paths, not a URL with a
 * path: `import.meta.url` is percent-encoded (`a%20dir%20%C3%A9`), `process.argv[1]` is not, so a
 * string comparison of the two fails — and the command silently does nothing — in any checkout
 * whose path has a space or a non-ASCII character.
 */
import { realpathSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * True when the module at `moduleUrl` is the script Node (or tsx) was started with.
 * `script` defaults to `process.argv[1]`; a script given without its extension
 * (`tsx build/build`) matches too.
 *
 * @example
 * ```ts
 * if (isMain(import.meta.url)) await main();
 * ```
 */
export function isMain(moduleUrl: string, script: string | undefined = process.argv[1]): boolean {
  if (script === undefined || !moduleUrl.startsWith('file:')) return false;
  let modulePath: string;
  try {
    modulePath = real(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
  const scriptPath = real(script);
  if (scriptPath === modulePath) return true;
  const ext = extname(modulePath);
  return extname(scriptPath) === '' && ext !== '' && `${scriptPath}${ext}` === modulePath;
}
