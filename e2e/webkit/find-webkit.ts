/**
 * Locates the WebKitGTK pieces the e2e suite needs: `WebKitWebDriver`, the `MiniBrowser` binary it
 * launches, and `Xvfb` for a headless X display. Pure file-system lookups; nothing is started here.
 */
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The command that installs everything this module looks for (Debian/Ubuntu). */
export const WEBKIT_INSTALL_HINT =
  'apt-get install -y --no-install-recommends webkit2gtk-driver xvfb';

/** Absolute paths of the WebKitGTK tools. `xvfb` is `undefined` when not installed. */
export interface WebKitPaths {
  /** `WebKitWebDriver` executable. */
  readonly driver: string;
  /** `MiniBrowser` executable, passed as `webkitgtk:browserOptions.binary`. */
  readonly binary: string;
  /** `Xvfb` executable; only required when no `DISPLAY` is available. */
  readonly xvfb: string | undefined;
}

/** Outcome of {@link findWebKit}: the paths, or what is missing and how to install it. */
export type FindWebKitResult =
  | { readonly ok: true; readonly paths: WebKitPaths }
  | { readonly ok: false; readonly missing: readonly string[]; readonly message: string };

const LIB_ROOTS = ['/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/local/lib'];
const API_DIRS = ['webkit2gtk-4.1', 'webkitgtk-6.0', 'webkit2gtk-4.0'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function listDirs(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(root, d.name));
  } catch {
    return [];
  }
}

/** `/usr/lib/<api>/<name>`, `/usr/lib/<triplet>/<api>/<name>` etc., x86_64 first. */
function libCandidates(name: string): string[] {
  const out: string[] = [join('/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1', name)];
  for (const root of LIB_ROOTS) {
    for (const base of [root, ...listDirs(root)]) {
      for (const api of API_DIRS) out.push(join(base, api, name));
    }
  }
  return [...new Set(out)];
}

function pathCandidates(name: string, pathEnv: string | undefined): string[] {
  return (pathEnv ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, name));
}

function firstExecutable(candidates: readonly string[]): string | undefined {
  return candidates.find(isExecutable);
}

/**
 * Finds `WebKitWebDriver`, `MiniBrowser` and `Xvfb`.
 *
 * Order: `STRONGROOM_WEBKIT_DRIVER`, `PATH`, `/usr/bin/WebKitWebDriver`, `/usr/lib/*\/webkit2gtk-4.1/`;
 * `STRONGROOM_WEBKIT_BINARY`, then the multiarch lib dirs for `MiniBrowser`; `Xvfb` from `PATH` or
 * `/usr/bin`. An env override that does not point at an executable is reported as missing rather
 * than silently ignored.
 *
 * @param env - environment to read (defaults to `process.env`).
 * @returns the paths, or `ok: false` with a message naming the missing tools and the apt command.
 */
export function findWebKit(env: NodeJS.ProcessEnv = process.env): FindWebKitResult {
  const missing: string[] = [];

  const driverEnv = env.STRONGROOM_WEBKIT_DRIVER;
  const driver = driverEnv
    ? firstExecutable([driverEnv])
    : firstExecutable([
        ...pathCandidates('WebKitWebDriver', env.PATH),
        '/usr/bin/WebKitWebDriver',
        ...libCandidates('WebKitWebDriver'),
      ]);
  if (!driver) {
    missing.push(
      driverEnv ? `WebKitWebDriver (STRONGROOM_WEBKIT_DRIVER=${driverEnv})` : 'WebKitWebDriver',
    );
  }

  const binaryEnv = env.STRONGROOM_WEBKIT_BINARY;
  const binary = binaryEnv
    ? firstExecutable([binaryEnv])
    : firstExecutable(libCandidates('MiniBrowser'));
  if (!binary) {
    missing.push(binaryEnv ? `MiniBrowser (STRONGROOM_WEBKIT_BINARY=${binaryEnv})` : 'MiniBrowser');
  }

  const xvfb = firstExecutable([...pathCandidates('Xvfb', env.PATH), '/usr/bin/Xvfb']);

  if (!driver || !binary) {
    return {
      ok: false,
      missing,
      message: `WebKitGTK not found: missing ${missing.join(', ')}. Install with: ${WEBKIT_INSTALL_HINT}`,
    };
  }
  return { ok: true, paths: { driver, binary, xvfb } };
}

/**
 * Like {@link findWebKit} but throws with the install hint when something is missing.
 *
 * @param requireXvfb - also fail when `Xvfb` is absent (set when no `DISPLAY` is usable).
 */
export function requireWebKit(
  env: NodeJS.ProcessEnv = process.env,
  requireXvfb = false,
): WebKitPaths {
  const found = findWebKit(env);
  if (!found.ok) throw new Error(found.message);
  if (requireXvfb && !found.paths.xvfb) {
    throw new Error(`Xvfb not found and no DISPLAY set. Install with: ${WEBKIT_INSTALL_HINT}`);
  }
  return found.paths;
}
