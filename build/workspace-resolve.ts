/**
 * How code inside this repository resolves the workspace package `@strongroom/bridge`: straight
 * from its TypeScript sources, `@strongroom/bridge` → `bridge/src/index.ts` and
 * `@strongroom/bridge/<module>` → `bridge/src/<module>.ts` (the enclave compiles against
 * `protocol` and `errors`, the wire contract). TypeScript does the same through `paths` in
 * `tsconfig.base.json`. These are aliases of this repository's builds only: the published
 * package exports nothing but its built root entry (`bridge/package.json`), so the wire
 * internals (`serializeError`, the message types, …) are no part of its public map.
 */
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions } from 'vite';

/** The bridge's sources, with a trailing slash. */
const BRIDGE_SRC = fileURLToPath(new URL('../bridge/src/', import.meta.url));

/** The aliases that map `@strongroom/bridge[/<module>]` to the bridge's sources. */
export const workspaceAlias = [
  { find: /^@strongroom\/bridge$/, replacement: `${BRIDGE_SRC}index.ts` },
  { find: /^@strongroom\/bridge\/([A-Za-z0-9-]+)$/, replacement: `${BRIDGE_SRC}$1.ts` },
];

/** `resolve` options of every browser build in the repository (and of Vitest). */
export const workspaceResolve = {
  alias: workspaceAlias,
  conditions: [...defaultClientConditions],
};

/** `ssr.resolve` options for code Vitest runs in Node. */
export const workspaceSsrResolve = {
  conditions: [...defaultServerConditions],
};
