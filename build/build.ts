/**
 * `npm run build`: build the enclave for release into `dist/enclave/`, with the allowlist from
 * `strongroom.config.json` (or `STRONGROOM_ALLOWED_ORIGINS`, comma-separated).
 */
import { readFileSync } from 'node:fs';
import type { EnclaveBuildConfig } from './enclave-config';
import { buildEnclave, ROOT } from './vite-enclave';

/** Read the release build configuration. */
export function readBuildConfig(): EnclaveBuildConfig {
  const fromEnv = process.env.STRONGROOM_ALLOWED_ORIGINS;
  if (fromEnv) return { allowedOrigins: fromEnv.split(',').map((o) => o.trim()) };
  return JSON.parse(readFileSync(`${ROOT}strongroom.config.json`, 'utf8')) as EnclaveBuildConfig;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = readBuildConfig();
  await buildEnclave({ ...config, outDir: `${ROOT}dist/enclave` });
  console.log(`built dist/enclave for ${config.allowedOrigins.join(', ')}`);
}
