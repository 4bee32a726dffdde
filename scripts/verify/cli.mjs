#!/usr/bin/env node
/**
 * Launcher of `strongroom-verify` in a checkout of this repository: the verifier is TypeScript
 * and runs here from source (main.ts) through tsx's loader (a dev dependency). Outside a checkout,
 * auditors run the published `@strongroom/verify`, the same sources compiled into one plain
 * JavaScript file by build/build-verify.ts (`npx @strongroom/verify`).
 */
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
