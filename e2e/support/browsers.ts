/**
 * Finding the browsers the e2e suites drive, wherever a developer has them: an environment
 * variable, Playwright's own download, or Debian's packages. If none is found the error says
 * how to install one.
 */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const INSTALL_HINT =
  'install it with: sudo apt-get install -y --no-install-recommends chromium firefox-esr ' +
  '(or `npx playwright install chromium`), or point STRONGROOM_CHROMIUM / STRONGROOM_FIREFOX at a binary';

function firstExisting(candidates: readonly (string | undefined)[]): string | null {
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

function playwrightChromium(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/** Path of a Chromium binary, or throws with install instructions. */
export function findChromium(): string {
  const found = firstExisting([
    process.env.STRONGROOM_CHROMIUM,
    playwrightChromium(),
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ]);
  if (!found) throw new Error(`no Chromium found: ${INSTALL_HINT}`);
  return found;
}

/** Path of a Firefox binary (ESR 153 is what is tested), or throws with install instructions. */
export function findFirefox(): string {
  const found = firstExisting([
    process.env.STRONGROOM_FIREFOX,
    '/usr/bin/firefox-esr',
    '/usr/bin/firefox',
  ]);
  if (!found) throw new Error(`no Firefox found: ${INSTALL_HINT}`);
  return found;
}

/**
 * Playwright's own `--disable-features` list minus `ThirdPartyStoragePartitioning`, so that
 * Chromium partitions a cross-site iframe's storage as it does for users. The research of
 * 2026-11-23 saw IndexedDB fail in a cross-site iframe with that feature disabled; with
 * Playwright 1.64.1 and Chromium 156 here it did not (e2e/limits.spec.ts blocks storage through
 * content settings instead). Chromium honours the last switch.
 */
const CHROMIUM_DISABLED_FEATURES = [
  'AcceptCHFrame',
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'DialMediaRouteProvider',
  'GlobalMediaControls',
  'HttpsUpgrades',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'BlockOriginHeaderModificationOnRedirect',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'Translate',
  'AutoDeElevate',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
];

/** Extra Chromium switches for the e2e runs. */
export const CHROMIUM_ARGS = [
  `--disable-features=${CHROMIUM_DISABLED_FEATURES.join(',')}`,
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
