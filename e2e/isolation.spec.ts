/**
 * Process and agent-cluster isolation of the enclave, per engine and topology: every response of
 * the enclave origin carries `Origin-Agent-Cluster: ?1`; the enclave frame reports
 * `originAgentCluster`; in Chromium, CDP tells whether the enclave frame is an out-of-process
 * iframe (a target of type `iframe`) or runs in the app's renderer. The same measurements with
 * the header stripped in flight show what the header changes. The expected values are the
 * measured facts of docs/deployment.md ("Process isolation"): if an engine changes, this fails.
 * WebKitGTK has no `originAgentCluster` (measured with 2.50.6), so there is no shared core suite.
 */
import type { Browser, BrowserContext, Page, Response } from '@playwright/test';
import type { Topology } from '../scripts/topology';
import { call, connectHarness, enclaveFrame, expect, openHarness, test } from './support/test';

/** What an embedded enclave gets from the engine. */
interface Isolation {
  /** `self.originAgentCluster` in the enclave frame. */
  readonly originAgentCluster: boolean;
  /** `self.crossOriginIsolated` in the enclave frame (no COEP anywhere: always false). */
  readonly crossOriginIsolated: boolean;
  /** Chromium only: the enclave frame is out of process (CDP shows it as an `iframe` target). */
  readonly outOfProcess?: boolean;
}

type Engine = 'chromium' | 'firefox';

/**
 * Measured 2026-11-30 with Chromium 156.0.8078.114 and Firefox ESR 153.8.0 (Playwright 1.64.1),
 * the enclave served as `scripts/serve-test.ts` serves it, i.e. with `Origin-Agent-Cluster: ?1`.
 */
const WITH_HEADER: Readonly<Record<Engine, Readonly<Record<Topology, Isolation>>>> = {
  chromium: {
    'cross-site': { originAgentCluster: true, crossOriginIsolated: false, outOfProcess: true },
    'same-site': { originAgentCluster: true, crossOriginIsolated: false, outOfProcess: true },
  },
  firefox: {
    'cross-site': { originAgentCluster: true, crossOriginIsolated: false },
    'same-site': { originAgentCluster: true, crossOriginIsolated: false },
  },
};

/**
 * The same, with the header removed from the enclave document in flight: Chromium keys agent
 * clusters by origin by default but keeps a same-site frame in the app's renderer; Firefox keys
 * them by site.
 */
const WITHOUT_HEADER: Readonly<Record<Engine, Readonly<Record<Topology, Isolation>>>> = {
  chromium: {
    'cross-site': { originAgentCluster: true, crossOriginIsolated: false, outOfProcess: true },
    'same-site': { originAgentCluster: true, crossOriginIsolated: false, outOfProcess: false },
  },
  firefox: {
    'cross-site': { originAgentCluster: false, crossOriginIsolated: false },
    'same-site': { originAgentCluster: false, crossOriginIsolated: false },
  },
};

/**
 * Whether the enclave frame of `page` is an out-of-process iframe: Chromium exposes every OOPIF
 * as a CDP target of type `iframe`; a frame rendered in its parent's process is no target.
 */
async function outOfProcess(browser: Browser, page: Page, enclaveUrl: string): Promise<boolean> {
  const own = await page.context().newCDPSession(page);
  const browserSession = await browser.newBrowserCDPSession();
  try {
    // This page's target, to keep to its browser context (the browser is shared by a worker).
    const { targetInfo } = await own.send('Target.getTargetInfo');
    const { targetInfos } = await browserSession.send('Target.getTargets');
    expect(targetInfos.map((t) => t.targetId)).toContain(targetInfo.targetId);
    return targetInfos.some(
      (t) =>
        t.type === 'iframe' &&
        t.browserContextId === targetInfo.browserContextId &&
        t.url.startsWith(enclaveUrl),
    );
  } finally {
    await browserSession.detach();
    await own.detach();
  }
}

/** Remove `Origin-Agent-Cluster` from the enclave's documents before the browser sees them. */
async function stripHeader(context: BrowserContext, enclaveUrl: string): Promise<void> {
  const enclave = new URL(enclaveUrl);
  await context.route(
    (url) => url.origin === enclave.origin,
    async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      // Node cannot resolve `*.localhost`; the servers listen on 127.0.0.1 for every name.
      const direct = new URL(route.request().url());
      direct.hostname = '127.0.0.1';
      const response = await route.fetch({ url: direct.href });
      const { 'origin-agent-cluster': _, ...headers } = response.headers();
      await route.fulfill({ response, headers });
    },
  );
}

/**
 * Open the harness, connect it to the enclave, and read the enclave frame's isolation; returns
 * it with every response the enclave origin sent on the way.
 */
async function measure(
  browser: Browser,
  page: Page,
  browserName: string,
  urls: { app: string; enclave: string },
): Promise<{ isolation: Isolation; responses: Response[] }> {
  // Served responses only: the key worker's `blob:` URL has the enclave's origin too.
  const served = `${new URL(urls.enclave).origin}/`;
  const responses: Response[] = [];
  page.on('response', (r) => {
    if (r.url().startsWith(served)) responses.push(r);
  });
  await openHarness(page, urls.app);
  await connectHarness(page);
  expect(await call<{ origin: string }>(page, 'info')).toMatchObject({ origin: urls.app });
  const flags = await (await enclaveFrame(page, urls.enclave)).evaluate(() => ({
    originAgentCluster: self.originAgentCluster,
    crossOriginIsolated: self.crossOriginIsolated,
  }));
  const isolation: Isolation =
    browserName === 'chromium'
      ? { ...flags, outOfProcess: await outOfProcess(browser, page, urls.enclave) }
      : flags;
  return { isolation, responses };
}

function engine(browserName: string): Engine {
  if (browserName !== 'chromium' && browserName !== 'firefox') {
    throw new Error(`no measurement recorded for ${browserName}`);
  }
  return browserName;
}

test.describe('when the enclave sends Origin-Agent-Cluster: ?1', () => {
  test('every response of the enclave origin carries the header', async ({
    browser,
    page,
    browserName,
    urls,
  }) => {
    const { responses } = await measure(browser, page, browserName, urls);
    const documents = responses.filter((r) => r.request().resourceType() === 'document');
    // One document: the enclave URL with the bridge's fresh query (bridge/src/fresh-url.ts).
    expect(documents).toHaveLength(1);
    expect(documents[0]?.url()).toMatch(/\?sr=[A-Za-z0-9_-]{22}$/);
    expect(documents[0]?.url().startsWith(`${urls.enclave}?sr=`)).toBe(true);
    expect(responses.length).toBeGreaterThan(documents.length);
    for (const r of responses) {
      expect(await r.headerValue('origin-agent-cluster'), r.url()).toBe('?1');
    }
  });

  test('the enclave frame is isolated as measured', async ({
    browser,
    page,
    browserName,
    topology,
    urls,
  }) => {
    const { isolation } = await measure(browser, page, browserName, urls);
    expect(isolation, `${browserName} ${topology}, with the header`).toEqual(
      WITH_HEADER[engine(browserName)][topology],
    );
  });
});

test.describe('when the header is stripped in flight', () => {
  test('the enclave frame is isolated only as the engine does by default', async ({
    browser,
    context,
    page,
    browserName,
    topology,
    urls,
  }) => {
    await stripHeader(context, urls.enclave);
    const { isolation, responses } = await measure(browser, page, browserName, urls);
    const document = responses.find((r) => r.request().resourceType() === 'document');
    expect(await document?.headerValue('origin-agent-cluster')).toBeNull();
    expect(isolation, `${browserName} ${topology}, without the header`).toEqual(
      WITHOUT_HEADER[engine(browserName)][topology],
    );
  });
});
