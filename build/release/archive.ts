/**
 * Byte-identical release archives, whatever the umask of the machine that makes them:
 *
 * - {@link archiveRelease}: `dist/enclave/` as `strongroom-enclave-<tag>.tar.gz` — GNU tar with
 *   sorted names, mtime 0, owner and group 0, and every mode forced (`a=rX,u+w`: files 0644,
 *   folders 0755), gzip without name or time (`-n`).
 * - {@link packPackage}: an npm package (the bridge, the verifier) as `npm pack` makes it, but
 *   from a staging copy whose files are 0644 and folders 0755: `npm pack` keeps each file's mode,
 *   so under umask 077 it would otherwise archive 0600 files and give other bytes.
 *
 * `npx tsx build/release/archive.ts enclave <dir> <out.tar.gz>` or
 * `npx tsx build/release/archive.ts pack <package dir> <destination dir>`.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isMain } from './cli-util';

/** The tar options that make an archive depend on nothing but the names and bytes. */
export const TAR_OPTIONS = [
  '--sort=name',
  '--mtime=@0',
  '--owner=0',
  '--group=0',
  '--numeric-owner',
  '--mode=a=rX,u+w',
  '--format=gnu',
] as const;

/**
 * Archive the folder `dir` (its base name is the archive's top folder) into `out` (.tar.gz).
 *
 * @example
 * ```ts
 * archiveRelease('dist/enclave', 'dist/release/strongroom-enclave-v0.1.0.tar.gz');
 * ```
 */
export function archiveRelease(dir: string, out: string): void {
  const full = resolve(dir);
  const tar = execFileSync(
    'tar',
    [...TAR_OPTIONS, '-C', dirname(full), '-cf', '-', full.slice(dirname(full).length + 1)],
    { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 512 * 1024 * 1024 },
  );
  const gz = execFileSync('gzip', ['-n', '-9'], { input: tar, maxBuffer: 512 * 1024 * 1024 });
  writeFileSync(out, gz);
}

/** Force 0644 on files and 0755 on folders under `dir` (and `dir` itself). */
export function normalizeModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) normalizeModes(path);
    else if (entry.isFile()) chmodSync(path, 0o644);
    else throw new Error(`${path}: not a regular file or folder`);
  }
}

/**
 * `npm pack` the package in `pkgDir` into `destination` from a mode-normalized staging copy of
 * what it publishes (`files`, package.json, README, LICENSE, CHANGELOG); no script runs (build
 * it first). Returns the tarball's path.
 */
export function packPackage(pkgDir: string, destination: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    files?: string[];
  };
  const stage = mkdtempSync(join(tmpdir(), 'strongroom-pack-'));
  try {
    const names = new Set(['package.json', ...(pkg.files ?? [])]);
    for (const name of readdirSync(pkgDir)) {
      if (/^(README|LICENSE|LICENCE|CHANGELOG)(\..*)?$/i.test(name)) names.add(name);
    }
    for (const name of names) {
      const from = join(pkgDir, name);
      if (!existsSync(from)) continue;
      cpSync(from, join(stage, name), { recursive: statSync(from).isDirectory() });
    }
    normalizeModes(stage);
    mkdirSync(destination, { recursive: true });
    const out = execFileSync(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', resolve(destination)],
      { cwd: stage, encoding: 'utf8' },
    );
    const [packed] = JSON.parse(out) as { filename: string }[];
    return join(resolve(destination), packed?.filename ?? '');
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const [what, from, to] = process.argv.slice(2);
  if (what === 'enclave' && from && to) archiveRelease(from, to);
  else if (what === 'pack' && from && to) console.log(packPackage(from, to));
  else {
    console.error(
      'usage: archive.ts enclave <dir> <out.tar.gz> | archive.ts pack <package dir> <destination>',
    );
    process.exitCode = 2;
  }
}
