#!/usr/bin/env node
/**
 * Launcher of `strongroom-verify`. The verifier is TypeScript and runs from source (main.ts) through tsx's
 * loader (a dev dependency of this repository), so the code an auditor reads is the code that
 * runs: nothing is compiled or bundled in between.
 */
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
