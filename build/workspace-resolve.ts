/**
 * How builds inside this repository resolve the workspace packages: through the `source`
 * export condition, i.e. straight from `bridge/src/*.ts`. Published consumers of
 * `@strongroom/bridge` never set that condition and get the compiled `dist/` files instead.
 * TypeScript does the same through `customConditions` in `tsconfig.base.json`.
 */
import { defaultClientConditions, defaultServerConditions } from 'vite';

/** The export condition that selects a workspace package's TypeScript sources. */
export const SOURCE_CONDITION = 'source';

/** `resolve` options of every browser build in the repository. */
export const workspaceResolve = {
  conditions: [SOURCE_CONDITION, ...defaultClientConditions],
};

/** `ssr.resolve` options for code Vitest runs in Node. */
export const workspaceSsrResolve = {
  conditions: [SOURCE_CONDITION, ...defaultServerConditions],
  externalConditions: [SOURCE_CONDITION],
};
