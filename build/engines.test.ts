/**
 * `npm ci` on every Node version the README promises prints no `EBADENGINE` warning: each
 * package npm installs on Linux (x64 or arm64) from package-lock.json accepts the whole range
 * of the root `engines.node`, and the README states that same range.
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from './vite-enclave';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  os?: string[];
  cpu?: string[];
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const rootPkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  engines: { node: string };
};
const RANGE = rootPkg.engines.node;

/** Whether npm installs an entry on this platform (its `os` and `cpu` lists allow it). */
function fits(entry: LockEntry, os: string, cpu: string): boolean {
  const allows = (list: string[] | undefined, value: string) => {
    if (!list || list.length === 0) return true;
    if (list.includes(`!${value}`)) return false;
    const positive = list.filter((v) => !v.startsWith('!'));
    return positive.length === 0 || positive.includes(value);
  };
  return allows(entry.os, os) && allows(entry.cpu, cpu);
}

/** The lock path npm resolves `name` to, required from the package at `from`. */
function resolveIn(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

/** Every lock entry npm installs on `os`/`cpu`: the tree from the root and its workspaces. */
function installed(os: string, cpu: string): Set<string> {
  const seen = new Set<string>();
  const queue = [''];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (seen.has(path)) continue;
    let entry = lock.packages[path];
    if (!entry) continue;
    seen.add(path);
    if (entry.link && entry.resolved !== undefined) {
      queue.push(entry.resolved);
      entry = lock.packages[entry.resolved] ?? entry;
    }
    const isProject = path === '' || !path.includes('node_modules/');
    const required = {
      ...entry.dependencies,
      ...(isProject ? entry.devDependencies : {}),
      ...Object.fromEntries(
        Object.entries(entry.peerDependencies ?? {}).filter(
          ([name]) => entry?.peerDependenciesMeta?.[name]?.optional !== true,
        ),
      ),
    };
    for (const name of Object.keys(required)) {
      const to = resolveIn(path, name);
      if (to) queue.push(to);
    }
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      const to = resolveIn(path, name);
      const target = to === undefined ? undefined : lock.packages[to];
      if (to && target && fits(target, os, cpu)) queue.push(to);
    }
    if (path === '') {
      for (const [p, e] of Object.entries(lock.packages)) {
        if (p !== '' && !p.includes('node_modules/') && e) queue.push(p);
      }
    }
  }
  return seen;
}

describe('supported Node versions', () => {
  it.each([
    ['linux', 'x64'],
    ['linux', 'arm64'],
  ])('every package npm ci installs on %s-%s accepts the whole engines range', (os, cpu) => {
    const tree = installed(os, cpu);
    expect(tree.size).toBeGreaterThan(100);
    const refusing: string[] = [];
    for (const path of tree) {
      const engines = lock.packages[path]?.engines;
      const node = Array.isArray(engines) ? undefined : engines?.node;
      if (path === '' || node === undefined) continue;
      if (!semver.subset(RANGE, node)) {
        refusing.push(`${path}@${lock.packages[path]?.version}: node ${node}`);
      }
    }
    expect(refusing, `not every Node in "${RANGE}" is accepted by`).toEqual([]);
  });

  it('each supported line starts where the README says', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    // The demo server's better-sqlite3 12 supports Node up to 25: so does the project.
    expect(RANGE).toBe('^20.19 || ^22.12 || ^24 || ^25');
    expect(readme).toContain('Node 20.19+, 22.12+, 24 or 25');
    for (const version of ['20.19.0', '22.12.0', '24.0.0', '25.9.0']) {
      expect(semver.satisfies(version, RANGE), version).toBe(true);
    }
    for (const version of ['20.18.0', '22.11.0', '23.11.0', '26.0.0']) {
      expect(semver.satisfies(version, RANGE), version).toBe(false);
    }
  });
});
