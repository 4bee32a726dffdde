/**
 * Rebuild a release from source and hash the result: clone the repository at a git ref into a
 * temporary folder, `npm ci --ignore-scripts` (no install script of any dependency runs),
 * `npm run build`, then hash `dist/enclave/`. Commands go through a {@link CommandRunner} so
 * tests can replace them with a fake.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeFile, listFiles, type ManifestFile } from '../../build/release/manifest';

/** Runs one command without a shell; rejects when it exits non-zero. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string },
) => Promise<{ stdout: string }>;

/** The real runner: `execFile`, no shell, output captured (up to 64 MiB). */
export const runCommand: CommandRunner = async (command, args, { cwd }) => {
  const { stdout } = await promisify(execFile)(command, [...args], {
    cwd,
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

/**
 * Clone `repo` at `ref`, build it and hash `dist/enclave/`. The temporary folder is removed.
 *
 * @example
 * ```ts
 * const { commit, files } = await rebuild('v0.1.0', 'https://github.com/acme/strongroom.git');
 * ```
 */
export async function rebuild(
  ref: string,
  repo: string,
  run: CommandRunner = runCommand,
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
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: src });
    await run('npm', ['run', 'build'], { cwd: src });
    const out = join(src, 'dist', 'enclave');
    const files: ManifestFile[] = [];
    for (const path of await listFiles(out))
      files.push(describeFile(path, await readFile(join(out, path))));
    return { commit, files };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
