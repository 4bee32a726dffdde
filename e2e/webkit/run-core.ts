/**
 * How the WebKitGTK suites run one shared core test (`e2e/core/*`): in a fresh WebDriver
 * session, closed afterwards. Used by `core.test.ts` and `persistence.test.ts`.
 */
import type { Topology } from '../../scripts/topology';
import type { CoreSuite } from '../core/suite';
import { origins } from '../support/ports';
import { openWebKitPage } from './page';

type CoreTest = CoreSuite['tests'][number];

/** Whether `err` is WebDriver reporting that the WebKitGTK web process crashed or hung. */
function isWebProcessCrash(err: unknown): boolean {
  return (
    err instanceof Error &&
    err.name === 'NoSuchSessionError' &&
    err.message.includes('page crash or hang')
  );
}

/** Run `t` in `topology` in a new WebKitGTK session. */
async function attempt(t: CoreTest, topology: Topology): Promise<void> {
  const page = await openWebKitPage();
  try {
    await t.run({
      browserName: 'webkit',
      topology,
      urls: origins(topology),
      page,
      // Tabs of the same session; page.close() below stops them all.
      newPage: () => page.newPage(),
    });
  } finally {
    await page.close().catch(() => undefined);
  }
}

/**
 * Run `t` in `topology`. Only a crashed WebKitGTK web process (WebDriver: "session deleted
 * because of page crash or hang"; once in four clean-clone runs, in a test that passed in the
 * others) gets one more attempt, in a new session; it must pass whole. Any other failure, and a
 * second crash, fails the test.
 */
export async function runCoreTest(t: CoreTest, topology: Topology): Promise<void> {
  try {
    await attempt(t, topology);
  } catch (err) {
    if (!isWebProcessCrash(err)) throw err;
    console.warn(`[e2e/webkit] web process crashed; retrying once: ${t.name}`);
    await attempt(t, topology);
  }
}
