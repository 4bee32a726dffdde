/**
 * The toolchain a release was built with — Node's and npm's versions and the repository URL —
 * recorded in the signed manifest, so that an auditor's `--rebuild` can use the same
 * repository by default and say when its Node differs (another Node may bundle other bytes).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What built the release. */
export interface ManifestToolchain {
  /** `process.version` of the build, e.g. `v22.12.0`. */
  readonly node: string;
  /** npm's version, e.g. `10.9.0`. */
  readonly npm: string;
  /** The git URL of the repository the release comes from (package.json `repository.url`). */
  readonly repository: string;
}

/** A Node version as `process.version` gives it. */
export const NODE_VERSION = /^v\d{1,4}\.\d{1,4}\.\d{1,4}$/;
/** An npm version (semantic, with an optional pre-release). */
export const NPM_VERSION = /^\d{1,4}\.\d{1,4}\.\d{1,4}(-[0-9A-Za-z.-]{1,64})?$/;
/** A repository URL a verifier may pass to `git clone` (no option, no shell character). */
export const REPOSITORY_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[A-Za-z0-9_.~/-]+$/;

/** The npm version: from `npm_config_user_agent` when run by npm, else `npm --version`. */
function npmVersion(): string {
  const agent = /(?:^|\s)npm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];
  if (agent && NPM_VERSION.test(agent)) return agent;
  return execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * The repository URL of package.json (`git+https://…` becomes `https://…`).
 *
 * @example
 * ```ts
 * repositoryUrl({ repository: { url: 'git+https://github.com/acme/strongroom.git' } }); // 'https://github.com/acme/strongroom.git'
 * ```
 */
export function repositoryUrl(pkg: unknown): string {
  const repo =
    typeof pkg === 'object' && pkg !== null ? (pkg as { repository?: unknown }).repository : null;
  const url =
    typeof repo === 'string'
      ? repo
      : typeof repo === 'object' && repo !== null
        ? (repo as { url?: unknown }).url
        : undefined;
  if (typeof url !== 'string') throw new Error('package.json has no repository.url');
  const https = url.replace(/^git\+/, '');
  if (!REPOSITORY_URL.test(https)) throw new Error(`repository.url ${url} is not an https git URL`);
  return https;
}

/**
 * The toolchain running now, with the repository URL of the root package.json.
 *
 * @example
 * ```ts
 * currentToolchain(); // { node: 'v22.12.0', npm: '10.9.0', repository: 'https://github.com/strongroom/strongroom.git' }
 * ```
 */
export function currentToolchain(): ManifestToolchain {
  // The repository root, two folders up (not vite-enclave's ROOT: the verifier bundles this file).
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  return { node: process.version, npm: npmVersion(), repository: repositoryUrl(pkg) };
}
