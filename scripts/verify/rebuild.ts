/**
 * Rebuild a release from source and hash the result: clone the repository at a git ref into a
 * temporary folder, write the manifest's build configuration as its `strongroom.config.json`
 * (allowlist, rate limits, consent settings: every build input besides the source),
 * `npm ci --ignore-scripts` (no install script of any dependency runs), `npm run build` (with
 * `STRONGROOM_ALLOWED_ORIGINS` removed from its environment, so the file is what counts), then
 * hash `dist/enclave/`. Commands go through a {@link CommandRunner} so
 * tests can replace them with a fake.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  describeFile,
  listFiles,
  type ManifestBuildConfig,
  type ManifestFile,
} from '../../build/release/manifest';

/** Runs one command without a shell; rejects when it exits non-zero. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
) => Promise<{ stdout: string }>;

/** The real runner: `execFile`, no shell, output captured (up to 64 MiB). */
export const runCommand: CommandRunner = async (command, args, { cwd, env }) => {
  const { stdout } = await promisify(execFile)(command, [...args], {
    cwd,
    ...(env ? { env } : {}),
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout };
};

/** The outcome of a rebuild. */
export interface RebuildResult {
  /** The commit the ref resolved to. */
  readonly commit: string;
  /** Every file of the rebuilt `dist/enclave/`, sorted, hashed. */
  readonly files: readonly ManifestFile[];
}

/** A git ref or repository that cannot be mistaken for an option. */
const SAFE_ARG = /^[A-Za-z0-9_.:@/~^+-]+$/;

/** What the release was built with, from its signed manifest. */
export interface RebuildInputs {
  readonly buildConfig: ManifestBuildConfig;
  readonly version: string;
}

/**
 * Clone `repo` at `ref`, build it with `inputs` (the manifest's build configuration and
 * version) and hash `dist/enclave/`. The temporary folder is removed.
 *
 * @example
 * ```ts
 * const { commit, files } = await rebuild('v0.1.0', 'https://github.com/acme/strongroom.git', run, manifest);
 * ```
 */
export async function rebuild(
  ref: string,
  repo: string,
  run: CommandRunner = runCommand,
  inputs?: RebuildInputs,
): Promise<RebuildResult> {
  for (const [name, value] of [
    ['ref', ref],
    ['repo', repo],
  ] as const) {
    if (value.startsWith('-') || !SAFE_ARG.test(value))
      throw new Error(`${name} ${JSON.stringify(value)} is not allowed`);
  }
  const work = await mkdtemp(join(tmpdir(), 'strongroom-rebuild-'));
  const src = join(work, 'src');
  try {
    await run('git', ['clone', '--quiet', '--no-checkout', '--', repo, src], { cwd: work });
    await run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', ref], {
      cwd: src,
    });
    const commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: src })).stdout.trim();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.STRONGROOM_ALLOWED_ORIGINS;
    if (inputs) {
      // The release's build inputs, not whatever the repository's own config says.
      await writeFile(
        join(src, 'strongroom.config.json'),
        `${JSON.stringify(inputs.buildConfig, null, 2)}\n`,
      );
      env.STRONGROOM_RELEASE_VERSION = inputs.version;
    }
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: src });
    await run('npm', ['run', 'build'], { cwd: src, env });
    const out = join(src, 'dist', 'enclave');
    const files: ManifestFile[] = [];
    for (const path of await listFiles(out))
      files.push(describeFile(path, await readFile(join(out, path))));
    return { commit, files };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
