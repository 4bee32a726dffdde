/**
 * The entry of the published `strongroom-verify` command (`@strongroom/verify`):
 * build/build-verify.ts compiles it, with the verifier's sources, into one readable, unminified
 * `verify/dist/cli.js` that runs on plain Node. In this repository, `scripts/verify/cli.mjs` runs
 * the same code from source.
 */
import { main } from './main';

process.exitCode = await main(process.argv.slice(2));
