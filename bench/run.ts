/**
 * `npm run bench`: builds the enclave (release mode, bench allowlist) and the bench pages,
 * serves them on loopback (app `127.0.0.1`, enclave and raw-channel page on `localhost`:
 * cross-site), and in Chromium, Firefox and WebKitGTK — one browser at a time — times every
 * figure through the bridge, a raw MessageChannel iframe and direct WebCrypto in the same page
 * and run. Prints a table per browser and writes JSON (and the Markdown tables) under
 * bench/results/. Nothing here asserts a time.
 *
 * Options: `--browsers chromium,firefox,webkit`, `--n 1000` (calls per latency figure),
 * `--n-large 200` (1 MiB figures: 1,000 would take minutes per browser), `--cold 20` (fresh-profile cold starts), `--keygen 50`,
 * `--quick` (small n, to try the setup), `--audit-only` (only what the audit log costs: sign
 * Ed25519 32 B latency, throughput at 1 and 32 callers, the audit on/off and verifyAuditLog rows;
 * no cold starts, key generation or strongroom-verify), `--cold-only` (only the cold-start figures:
 * cold starts, their breakdown from a dev build's start-up marks, the enclave's transferred
 * bytes and, in Chromium, its memory at rest and after `--memory-keys 1000` keys).
 * Ports: `STRONGROOM_BENCH_BASE_PORT` (default 4751…4755).
 * A figure that fails in one browser is recorded as failed (table and JSON `errors`); the run
 * goes on with the next figure.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, firefox, type Page } from '@playwright/test';
import { cacheControl, enclaveHeaders } from '../build/enclave-config';
import { buildEnclave, ROOT } from '../build/vite-enclave';
import { buildPages } from '../build/vite-host';
import { CHROMIUM_ARGS, findChromium, findFirefox } from '../e2e/support/browsers';
import type { BrowserPage } from '../e2e/webkit/browser-page';
import { findWebKit } from '../e2e/webkit/find-webkit';
import { openWebKitPage } from '../e2e/webkit/page';
import { playwrightPage } from '../e2e/webkit/playwright-page';
import { serveSites } from '../scripts/serve';
import { markdownTable, ms, type Row, ratio, type Summary, summarize } from './stats';

type BrowserName = 'chromium' | 'firefox' | 'webkit';
type Path = 'bridge' | 'raw' | 'direct';
const PATHS: readonly Path[] = ['bridge', 'raw', 'direct'];
const ALGS = ['ES256', 'EdDSA', 'X25519', 'ECDH-ES', 'A256GCM', 'A256KW', 'HS256'] as const;
const CALLERS = [1, 8, 32] as const;

const { values } = parseArgs({
  options: {
    browsers: { type: 'string', default: 'chromium,firefox,webkit' },
    n: { type: 'string', default: '1000' },
    'n-large': { type: 'string', default: '200' },
    cold: { type: 'string', default: '20' },
    keygen: { type: 'string', default: '50' },
    quick: { type: 'boolean', default: false },
    'audit-only': { type: 'boolean', default: false },
    'cold-only': { type: 'boolean', default: false },
    'memory-keys': { type: 'string', default: '1000' },
  },
});
const quick = values.quick === true;
/** Only the figures the audit log moves (to iterate on its cost). */
const auditOnly = values['audit-only'] === true;
/** Only the cold-start figures (cold starts, breakdown, size, memory). */
const coldOnly = values['cold-only'] === true;
/** Keys generated before the second memory reading. */
const MEMORY_KEYS = Number(values['memory-keys']);
const N = quick ? 100 : Number(values.n);
const N_LARGE = quick ? 20 : Number(values['n-large']);
const COLD = auditOnly ? 0 : quick && values.cold === '20' ? 3 : Number(values.cold);
const KEYGEN = quick ? 10 : Number(values.keygen);
const WARMUP = quick ? 10 : 100;
const THROUGHPUT_TOTAL = quick ? 300 : 3000;
const browsers = String(values.browsers).split(',') as BrowserName[];

const BASE = Number(process.env.STRONGROOM_BENCH_BASE_PORT ?? 4751);
const APP = `http://127.0.0.1:${BASE}`;
const ENCLAVE = `http://localhost:${BASE + 1}/`;
const RAW = `http://localhost:${BASE + 2}/raw.html`;
/** The bench-only build of the enclave without its audit log (the "audit on/off" row). */
const ENCLAVE_AUDIT_OFF = `http://localhost:${BASE + 3}/`;
/** The same enclave as a dev build, whose `info()` reports its start-up marks (breakdown). */
const ENCLAVE_DEV = `http://localhost:${BASE + 4}/`;
const BENCH_URL = `${APP}/bench.html?enclave=${encodeURIComponent(ENCLAVE)}&raw=${encodeURIComponent(RAW)}&enclaveAuditOff=${encodeURIComponent(ENCLAVE_AUDIT_OFF)}&enclaveDev=${encodeURIComponent(ENCLAVE_DEV)}`;
/** Audit row: callers, signatures per measurement, alternating on/off rounds. */
const AUDIT = { callers: 32, total: quick ? 300 : 2000, rounds: quick ? 1 : 3 };
/** verifyAuditLog: entries (the log's retention cap) and timed runs. */
const VERIFY = { entries: 10_000, runs: 5 };
const OUT = `${ROOT}dist/bench`;

/** A browser the bench can open fresh pages (fresh profiles) in. */
interface Driver {
  readonly version: string;
  fresh(): Promise<{ page: BrowserPage; close(): Promise<void>; memory?: () => Promise<Memory> }>;
  close(): Promise<void>;
}

/** The enclave's JavaScript heap, bytes used after a forced GC (Chromium, CDP). */
interface Memory {
  /** The enclave document's isolate (its own renderer process: a cross-site frame). */
  readonly frame: number | null;
  /** The key worker's isolate. */
  readonly worker: number | null;
}

async function playwrightDriver(browser: Browser): Promise<Driver> {
  return {
    version: browser.version(),
    async fresh() {
      const context = await browser.newContext();
      const raw = await context.newPage();
      const page = playwrightPage(raw);
      return {
        page,
        close: () => context.close(),
        ...(browser.browserType().name() === 'chromium'
          ? { memory: () => chromiumMemory(browser, context, raw) }
          : {}),
      };
    },
    close: () => browser.close(),
  };
}

/** Send one CDP command to a target attached without flattening (Target.sendMessageToTarget). */
async function sendToTarget(
  session: Awaited<ReturnType<Browser['newBrowserCDPSession']>>,
  sessionId: string,
  method: string,
): Promise<Record<string, unknown>> {
  const id = Math.floor(Math.random() * 1e9);
  const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
    const onMessage = (event: { sessionId: string; message: string }) => {
      const m = JSON.parse(event.message) as { id?: number; result?: object; error?: object };
      if (event.sessionId !== sessionId || m.id !== id) return;
      session.off('Target.receivedMessageFromTarget', onMessage);
      if (m.error) reject(new Error(JSON.stringify(m.error)));
      else resolve((m.result ?? {}) as Record<string, unknown>);
    };
    session.on('Target.receivedMessageFromTarget', onMessage);
  });
  await session.send('Target.sendMessageToTarget', {
    sessionId,
    message: JSON.stringify({ id, method }),
  });
  return reply;
}

/**
 * Chromium: the enclave frame's and key worker's JS heap after a forced GC, over CDP
 * (`HeapProfiler.collectGarbage`, `Runtime.getHeapUsage`). The frame is an out-of-process
 * iframe (cross-site), reached with a frame CDP session; the worker through the browser
 * session's target list.
 */
async function chromiumMemory(browser: Browser, context: BrowserContext, page: Page) {
  const frame = page.frames().find((f) => f.url().startsWith(ENCLAVE));
  let frameHeap: number | null = null;
  if (frame) {
    const s = await context.newCDPSession(frame);
    await s.send('HeapProfiler.collectGarbage');
    frameHeap = (await s.send('Runtime.getHeapUsage')).usedSize;
    await s.detach();
  }
  let workerHeap: number | null = null;
  const b = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await b.send('Target.getTargets');
    const worker = targetInfos.find(
      (t) => t.type === 'worker' && t.url.startsWith(`blob:${ENCLAVE.slice(0, -1)}`),
    );
    if (worker) {
      const { sessionId } = await b.send('Target.attachToTarget', {
        targetId: worker.targetId,
        flatten: false,
      });
      await sendToTarget(b, sessionId, 'HeapProfiler.collectGarbage');
      workerHeap = (await sendToTarget(b, sessionId, 'Runtime.getHeapUsage')).usedSize as number;
      await b.send('Target.detachFromTarget', { sessionId });
    }
  } finally {
    await b.detach();
  }
  return { frame: frameHeap, worker: workerHeap };
}

async function launch(name: BrowserName): Promise<Driver> {
  if (name === 'chromium') {
    return playwrightDriver(
      await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS }),
    );
  }
  if (name === 'firefox') {
    return playwrightDriver(
      await firefox.launch({ channel: 'moz-firefox', executablePath: findFirefox() }),
    );
  }
  const found = findWebKit();
  if (!found.ok) throw new Error(found.message);
  // WebKitWebDriver has no --version; ask the package manager, where there is one.
  const pkg = spawnSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'webkit2gtk-driver'], {
    encoding: 'utf8',
  });
  return {
    version: `WebKitGTK ${pkg.status === 0 ? pkg.stdout.trim() : ''}`.trim(),
    async fresh() {
      // Each WebKit session is a fresh, in-memory profile.
      const page = await openWebKitPage({ scriptTimeoutMs: 600_000 });
      return { page, close: () => page.close() };
    },
    close: async () => undefined,
  };
}

async function openBench(page: BrowserPage): Promise<void> {
  await page.goto(BENCH_URL);
  for (let i = 0; i < 200; i++) {
    const ready = await page.evaluate(() => document.documentElement.dataset.bench ?? null);
    if (ready === 'ready') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('bench page did not load');
}

/** A start-up mark (ms since the Unix epoch), from the page or the enclave's `info().devBoot`. */
interface Mark {
  readonly name: string;
  readonly at: number;
}

/** One cold start of the dev build: the page's marks, the enclave document's and worker's. */
interface Breakdown {
  page: Mark[];
  document: Mark[];
  worker: Mark[];
}

/**
 * The breakdown as a time line: each mark's median time since `connect()` was called, over the
 * runs (min and max beside it), in the order of the medians.
 */
function breakdownTable(runs: readonly Breakdown[]): string {
  const offsets = new Map<string, number[]>();
  for (const run of runs) {
    const t0 = run.page.find((m) => m.name === 'connect() called')?.at;
    if (t0 === undefined) continue;
    const seen = new Map<string, number>();
    const all = [
      ...run.page.map((m) => ({ ...m, name: `page: ${m.name}` })),
      ...run.document.map((m) => ({ ...m, name: `document: ${m.name}` })),
      ...run.worker.map((m) => ({ ...m, name: `worker: ${m.name}` })),
    ];
    for (const m of all) {
      // Hashed file names differ between builds; two fetches of one file get #2.
      const base = m.name.replace(/-[A-Za-z0-9_-]{8}\.(js|css)/, '.$1');
      const k = (seen.get(base) ?? 0) + 1;
      seen.set(base, k);
      const name = k === 1 ? base : `${base} #${k}`;
      offsets.set(name, [...(offsets.get(name) ?? []), m.at - t0]);
    }
  }
  const lines = [...offsets.entries()]
    .map(([name, xs]) => ({ name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }))
    .sort((a, b) => a.median - b.median)
    .map(
      (r) => `| ${r.name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} |`,
    );
  return [
    `| mark (dev build, ${runs.length} fresh profiles) | ms since connect(), median | min | max |`,
    '|---|---|---|---|',
    ...lines,
  ].join('\n');
}

/** Bytes of each file a cold start fetches: as served (no compression), gzip -6, brotli 11. */
interface SizeRow {
  file: string;
  fetches: number;
  bytes: number;
  gzip: number;
  brotli: number;
}

/**
 * What a cold start transfers from the enclave's origin: `index.html` twice (the navigation and
 * the release digest's own fetch, `release-digest.ts`), every file it pins, and the key worker
 * (pinned by its preload too, counted once: Chromium hands the preloaded response to the page's
 * fetch and Firefox reads it from its HTTP cache; WebKitGTK under WebDriver, which keeps no HTTP
 * cache, fetches it twice: docs/performance.md).
 * The generated server configurations (build/enclave-config.ts) do not compress, so the bytes
 * are what they serve; gzip and brotli are what a compressing server or CDN would send.
 */
function coldStartSize(dir: string): SizeRow[] {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const pinned = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+)"/g)].map((m) => m[1] ?? '');
  const worker = readdirSync(join(dir, 'assets'))
    .filter((f) => f.startsWith('worker-'))
    .map((f) => `assets/${f}`);
  const files = ['index.html', ...new Set([...pinned, ...worker])];
  return files.map((file) => {
    const bytes = readFileSync(join(dir, file));
    return {
      file,
      fetches: file === 'index.html' ? 2 : 1,
      bytes: bytes.length,
      gzip: gzipSync(bytes, { level: 6 }).length,
      brotli: brotliCompressSync(bytes, {
        params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 },
      }).length,
    };
  });
}

function sizeTable(rows: readonly SizeRow[]): string {
  const total = (k: 'bytes' | 'gzip' | 'brotli') =>
    rows.reduce((sum, r) => sum + r[k] * r.fetches, 0);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return [
    '| file (cold start) | fetches | as served | gzip -6 | brotli 11 |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) => `| ${r.file} | ${r.fetches} | ${kb(r.bytes)} | ${kb(r.gzip)} | ${kb(r.brotli)} |`,
    ),
    `| **total transferred** | | **${kb(total('bytes'))}** | ${kb(total('gzip'))} | ${kb(total('brotli'))} |`,
  ].join('\n');
}

function memoryNote(r: BrowserResult): string {
  const m = r.memory;
  if (!m) return 'Enclave memory: not measured (the engine does not tell; CDP is Chromium only).';
  const mib = (n: number | null) => (n === null ? 'n/a' : `${(n / 2 ** 20).toFixed(2)} MiB`);
  return `Enclave JS heap after a forced GC (CDP): at rest frame ${mib(m.rest.frame)}, worker ${mib(m.rest.worker)}; after ${m.n.toLocaleString('en')} EdDSA keys frame ${mib(m.keys.frame)}, worker ${mib(m.keys.worker)}.`;
}

/** What one browser's run produced. */
interface BrowserResult {
  browser: BrowserName;
  version: string;
  userAgent: string;
  clockMs: number;
  coldStart: Record<Path, { connect: Summary; firstSignature: Summary }>;
  keygen: Record<string, Record<Path, Summary & { batch: number }>>;
  latency: Record<string, Record<Path, Summary & { batch: number }>>;
  throughput: Record<string, Record<Path, { opsPerSec: number; elapsedMs: number }>>;
  /** Signatures/s at 32 callers with the audit log on and compiled out, per round. */
  audit: { on: number[]; off: number[]; checks: { on: boolean; off: string } } | null;
  /** `verifyAuditLog` times (ms) over `entries` entries. */
  verifyAudit: { times: number[]; entries: number; checkpoints: number; ok: boolean } | null;
  /** Cold starts of the dev build with its start-up marks, one per fresh profile. */
  breakdown: Breakdown[];
  /** The enclave's JS heap at rest and after `keys` keys (Chromium only: null elsewhere). */
  memory: { rest: Memory; keys: Memory; n: number } | null;
  /** Every figure that failed, with its error: recorded, and the run goes on. */
  errors: string[];
  seconds: number;
}

async function runBrowser(name: BrowserName): Promise<BrowserResult> {
  const started = Date.now();
  const driver = await launch(name);
  try {
    console.log(`\n── ${name} ${driver.version}`);
    // Cold start: connect() to the first signature, each in a fresh profile.
    const cold: Record<Path, { connect: number[]; first: number[] }> = {
      bridge: { connect: [], first: [] },
      raw: { connect: [], first: [] },
      direct: { connect: [], first: [] },
    };
    const coldErrors: string[] = [];
    for (let i = 0; i < COLD; i++) {
      const { page, close } = await driver.fresh();
      try {
        await openBench(page);
        const r = await page.evaluate(() => window.bench.coldStart());
        for (const path of PATHS) {
          cold[path].connect.push(r[path].connectMs);
          cold[path].first.push(r[path].firstSignatureMs);
        }
      } catch (err) {
        coldErrors.push(`cold start ${i + 1} of ${COLD}: ${firstLine(err)}`);
        console.error(`   ${coldErrors.at(-1)}`);
      } finally {
        await close();
      }
    }
    if (!auditOnly) console.log(`   cold start: ${COLD} fresh profiles`);
    // Where a cold start goes: the dev build's start-up marks, each in its own fresh profile
    // (a second enclave in the same profile would find the enclave's site process running).
    const breakdown: Breakdown[] = [];
    for (let i = 0; i < COLD; i++) {
      const { page, close } = await driver.fresh();
      try {
        await openBench(page);
        breakdown.push(await page.evaluate(() => window.bench.coldBreakdown()));
      } catch (err) {
        coldErrors.push(`cold start breakdown ${i + 1} of ${COLD}: ${firstLine(err)}`);
        console.error(`   ${coldErrors.at(-1)}`);
      } finally {
        await close();
      }
    }
    if (!auditOnly) console.log(`   cold start breakdown: ${COLD} fresh profiles (dev build)`);
    let memory: BrowserResult['memory'] = null;
    if (!auditOnly) {
      const fresh = await driver.fresh();
      try {
        if (fresh.memory) {
          await openBench(fresh.page);
          await fresh.page.evaluate(() => window.bench.memoryConnect());
          const rest = await fresh.memory();
          await fresh.page.evaluate((n) => window.bench.memoryKeys(n), MEMORY_KEYS);
          memory = { rest, keys: await fresh.memory(), n: MEMORY_KEYS };
          console.log(`   memory: at rest and after ${MEMORY_KEYS} keys`);
        }
      } catch (err) {
        coldErrors.push(`memory: ${firstLine(err)}`);
        console.error(`   ${coldErrors.at(-1)}`);
      } finally {
        await fresh.close();
      }
    }

    const { page, close } = await driver.fresh();
    try {
      await openBench(page);
      const setup = await page.evaluate(() => window.bench.setup());
      const result: BrowserResult = {
        browser: name,
        version: driver.version,
        userAgent: setup.userAgent,
        clockMs: setup.clockMs,
        coldStart: Object.fromEntries(
          PATHS.map((p) => [
            p,
            { connect: summarize(cold[p].connect), firstSignature: summarize(cold[p].first) },
          ]),
        ) as BrowserResult['coldStart'],
        keygen: {},
        latency: {},
        throughput: {},
        audit: null,
        verifyAudit: null,
        breakdown,
        memory,
        errors: coldErrors,
        seconds: 0,
      };
      for (const alg of auditOnly || coldOnly ? [] : ALGS) {
        result.keygen[alg] = {} as Record<Path, Summary & { batch: number }>;
        for (const path of PATHS) {
          try {
            const r = await page.evaluate((a) => window.bench.keygen(a), {
              alg,
              path,
              n: KEYGEN,
              warmup: 3,
            });
            result.keygen[alg][path] = { ...summarize(r.samples), batch: r.batch };
          } catch (err) {
            // A failing figure (e.g. an enclave error in one engine) is recorded, not fatal.
            result.keygen[alg][path] = { ...summarize([]), batch: 0 };
            fail(result, `generateKey ${alg} (${path})`, err);
          }
        }
      }
      if (!auditOnly && !coldOnly)
        console.log(`   key generation: ${KEYGEN} per algorithm and path`);
      const figures = (await page.evaluate(() => window.bench.figures())).filter(
        (f) => !coldOnly && (!auditOnly || f === 'sign Ed25519 32 B'),
      );
      for (const figure of figures) {
        const n = figure.endsWith('MiB') ? N_LARGE : N;
        const warmup = figure.endsWith('MiB') ? Math.min(WARMUP, 20) : WARMUP;
        result.latency[figure] = {} as Record<Path, Summary & { batch: number }>;
        for (const path of PATHS) {
          try {
            const r = await page.evaluate(
              (a) => window.bench.latency(a as Parameters<typeof window.bench.latency>[0]),
              { figure, path, n, warmup },
            );
            result.latency[figure][path] = { ...summarize(r.samples), batch: r.batch };
          } catch (err) {
            result.latency[figure][path] = { ...summarize([]), batch: 0 };
            fail(result, `${figure} (${path})`, err);
          }
        }
        console.log(`   ${figure}: ${n} calls per path`);
      }
      for (const callers of coldOnly ? [] : auditOnly ? [1, 32] : CALLERS) {
        const key = `${callers}`;
        result.throughput[key] = {} as BrowserResult['throughput'][string];
        for (const path of PATHS) {
          try {
            result.throughput[key][path] = await page.evaluate((a) => window.bench.throughput(a), {
              path,
              callers,
              total: THROUGHPUT_TOTAL,
            });
          } catch (err) {
            result.throughput[key][path] = { opsPerSec: Number.NaN, elapsedMs: Number.NaN };
            fail(result, `throughput ${callers} callers (${path})`, err);
          }
        }
      }
      if (coldOnly) {
        result.seconds = (Date.now() - started) / 1000;
        return result;
      }
      console.log(`   throughput: ${THROUGHPUT_TOTAL} signatures at 1, 8, 32 callers`);
      try {
        result.audit = await page.evaluate((a) => window.bench.audit(a), AUDIT);
        console.log(`   audit on/off: ${AUDIT.rounds} × ${AUDIT.total} signatures each`);
      } catch (err) {
        fail(result, 'audit log on / off', err);
      }
      try {
        result.verifyAudit = await page.evaluate((a) => window.bench.verifyAudit(a), VERIFY);
        console.log(`   verifyAuditLog: ${result.verifyAudit.entries} entries`);
      } catch (err) {
        fail(result, 'verifyAuditLog', err);
      }
      result.seconds = (Date.now() - started) / 1000;
      return result;
    } finally {
      await close();
    }
  } finally {
    await driver.close();
  }
}

/** The first line of an error's message. */
function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** Record a failed figure in the result (table and JSON) and go on. */
function fail(result: BrowserResult, what: string, err: unknown): void {
  const message = firstLine(err);
  console.error(`   ${what} failed: ${message}`);
  result.errors.push(`${what}: ${message}`);
}

/** The median of `xs` (NaN when empty). */
function median(xs: readonly number[]): number {
  return summarize(xs).median;
}

/** The rows of one browser's table. */
function rows(r: BrowserResult): Row[] {
  const out: Row[] = [];
  const cell = (s: Summary) =>
    s.n === 0 ? 'failed' : `${ms(s.median)} / ${ms(s.p95)} / ${ms(s.p99)}`;
  for (const [what, pick] of auditOnly
    ? []
    : ([
        ['cold start: connect() → first signature (ms, median / p95 / p99)', 'firstSignature'],
        ['cold start: connect() alone', 'connect'],
      ] as const)) {
    const c = r.coldStart;
    out.push({
      figure: what,
      bridge: cell(c.bridge[pick]),
      raw: cell(c.raw[pick]),
      direct: pick === 'connect' ? '–' : cell(c.direct[pick]),
      ratio: ratio(c.bridge[pick].median, c.raw[pick].median),
    });
  }
  for (const [alg, s] of Object.entries(r.keygen)) {
    out.push({
      figure: `generateKey ${alg}, persisted`,
      bridge: cell(s.bridge),
      raw: cell(s.raw),
      direct: cell(s.direct),
      ratio: ratio(s.bridge.median, s.raw.median),
    });
  }
  for (const [figure, s] of Object.entries(r.latency)) {
    out.push({
      figure,
      bridge: cell(s.bridge),
      raw: cell(s.raw),
      direct: cell(s.direct),
      ratio: ratio(s.bridge.median, s.raw.median),
    });
  }
  for (const [callers, s] of Object.entries(r.throughput)) {
    const f = (x: { opsPerSec: number }) =>
      Number.isFinite(x.opsPerSec) ? `${Math.round(x.opsPerSec)}/s` : 'failed';
    out.push({
      figure: `Ed25519 32 B signatures/s, ${callers} caller${callers === '1' ? '' : 's'}`,
      bridge: f(s.bridge),
      raw: f(s.raw),
      direct: f(s.direct),
      ratio: ratio(s.bridge.opsPerSec, s.raw.opsPerSec),
    });
  }
  if (coldOnly) return out;
  const a = r.audit;
  const on = a ? median(a.on) : Number.NaN;
  const off = a ? median(a.off) : Number.NaN;
  out.push({
    figure: `audit log on / off: signatures/s, ${AUDIT.callers} callers (median of ${AUDIT.rounds})`,
    bridge: a ? `${Math.round(on)}/s on, ${Math.round(off)}/s off` : 'failed',
    raw: '–',
    direct: '–',
    ratio: a ? `cost ${(100 * (1 - on / off)).toFixed(0)} %` : '–',
  });
  const v = r.verifyAudit;
  out.push({
    figure: `verifyAuditLog, ${v ? v.entries.toLocaleString('en') : '?'} entries (ms, median / max of ${VERIFY.runs})`,
    bridge: v
      ? `${ms(median(v.times))} / ${ms(Math.max(...v.times))}${v.ok ? '' : ' (NOT ok)'}`
      : 'failed',
    raw: '–',
    direct: '–',
    ratio: '–',
  });
  return out;
}

function batchNote(r: BrowserResult): string {
  const batches = new Set<number>();
  for (const s of Object.values(r.latency)) for (const p of PATHS) batches.add(s[p].batch);
  for (const s of Object.values(r.keygen)) for (const p of PATHS) batches.add(s[p].batch);
  const list = [...batches].sort((a, b) => a - b).join(', ');
  return r.clockMs <= 0.02
    ? `clock step ${r.clockMs.toFixed(4)} ms: every call timed on its own.`
    : `clock step ${ms(r.clockMs)} ms: calls timed in batches of ${list} (per figure and path, so a batch spans ≥ 5 clock steps); percentiles are over batch means.`;
}

/** Build, sign a manifest for, and time `strongroom-verify --dir` over the bench enclave. */
function timeVerify(commit: string): { runs: number[]; ok: boolean; note: string } {
  const rel = `${OUT}/release`;
  mkdirSync(rel, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(`${rel}/key.pem`, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(`${rel}/key.pub.pem`, publicKey.export({ type: 'spki', format: 'pem' }));
  const tsx = (args: string[]) =>
    spawnSync('npx', ['tsx', ...args], { cwd: ROOT, encoding: 'utf8' });
  const made = tsx([
    'build/release/manifest-cli.ts',
    '--dir',
    `${OUT}/enclave`,
    '--commit',
    commit,
    '--out',
    `${rel}/manifest.json`,
    '--deploy-dir',
    `${rel}/deploy`,
  ]);
  if (made.status !== 0) return { runs: [], ok: false, note: `manifest: ${made.stderr.trim()}` };
  const signed = tsx([
    'build/release/sign-cli.ts',
    '--key',
    `${rel}/key.pem`,
    '--manifest',
    `${rel}/manifest.json`,
    '--out',
    `${rel}/manifest.sigstore.json`,
  ]);
  if (signed.status !== 0) return { runs: [], ok: false, note: `sign: ${signed.stderr.trim()}` };
  const runs: number[] = [];
  let ok = true;
  let note = '';
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const v = spawnSync(
      'node',
      [
        'scripts/verify/cli.mjs',
        '--dir',
        `${OUT}/enclave`,
        '--manifest',
        `${rel}/manifest.json`,
        '--bundle',
        `${rel}/manifest.sigstore.json`,
        '--key',
        `${rel}/key.pub.pem`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    runs.push(performance.now() - t0);
    if (v.status !== 0) {
      ok = false;
      note = (v.stdout + v.stderr).trim().split('\n').slice(-3).join(' ');
    }
  }
  return { runs, ok, note };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log('building the bench enclave (release mode) and pages…');
  const enclaveConfig = {
    allowedOrigins: [APP],
    outDir: `${OUT}/enclave`,
    dev: false,
    // The bench measures the channel, not the policy: it makes tens of thousands of calls on
    // a few keys in a minute, far beyond the default rate limits (docs/policy.md).
    rateLimits: {
      keyUsesPerMinute: 1_000_000,
      originUsesPerMinute: 1_000_000,
      keyCreationsPerMinute: 1_000_000,
    },
  };
  await buildEnclave(enclaveConfig);
  // The same enclave with its audit log compiled out: a bench-only variant (build-info.ts).
  await buildEnclave({ ...enclaveConfig, outDir: `${OUT}/enclave-audit-off` }, { auditOff: true });
  // The same enclave as a dev build: its info() reports start-up marks (the breakdown).
  await buildEnclave({ ...enclaveConfig, outDir: `${OUT}/enclave-dev`, dev: true });
  // raw.html is served with the enclave's headers (Integrity-Policy): SRI-pinned, one file.
  await buildPages('bench/pages', `${OUT}/host`, { pinned: ['raw.html'] });
  const headers = enclaveHeaders([APP]);
  const served = await serveSites([
    { port: BASE, root: `${OUT}/host` },
    {
      port: BASE + 1,
      root: `${OUT}/enclave`,
      headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
    },
    // The raw-channel page, on the enclave's host name with the enclave's headers.
    { port: BASE + 2, root: `${OUT}/host`, headers: () => headers },
    {
      port: BASE + 3,
      root: `${OUT}/enclave-audit-off`,
      headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
    },
    {
      port: BASE + 4,
      root: `${OUT}/enclave-dev`,
      headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
    },
  ]);
  const size = coldStartSize(`${OUT}/enclave`);
  const results: BrowserResult[] = [];
  const failures: Record<string, string> = {};
  try {
    for (const name of browsers) {
      try {
        results.push(await runBrowser(name));
      } catch (err) {
        failures[name] = String((err as Error).stack ?? err);
        console.error(`${name} failed: ${failures[name]}`);
      }
    }
  } finally {
    await served.close();
  }
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  const verify =
    auditOnly || coldOnly
      ? { runs: [], ok: true, note: `not run (${auditOnly ? '--audit-only' : '--cold-only'})` }
      : timeVerify(commit || '0'.repeat(40));
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const when = new Date().toISOString();
  const md: string[] = [
    `Run ${when} on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGiB} GiB), Node ${machine.node}; commit ${commit.slice(0, 12)}${quick ? '; --quick' : ''}${auditOnly ? '; --audit-only' : ''}${coldOnly ? '; --cold-only' : ''}; ${COLD} cold starts.`,
    '',
    'Latency cells: median / p95 / p99 in ms; bridge/raw compares medians (throughput: rates).',
  ];
  for (const r of results) {
    md.push('', `### ${r.browser} ${r.version}`, '', markdownTable(rows(r)), '', batchNote(r));
    if (r.breakdown.length > 0) md.push('', breakdownTable(r.breakdown));
    if (!auditOnly) md.push('', memoryNote(r));
    for (const e of r.errors) md.push('', `Failed: ${e}`);
  }
  const v = summarize(verify.runs);
  md.push(
    '',
    auditOnly
      ? 'strongroom-verify: not run (--audit-only).'
      : `strongroom-verify --dir over the bench enclave (local folder, key-based bundle), 5 runs, wall time incl. Node + tsx start-up: median ${ms(v.median)} ms, max ${ms(Math.max(...verify.runs))} ms${verify.ok ? ', all passed' : `; FAILED: ${verify.note}`}.`,
    `Audit log on/off: ${AUDIT.rounds} alternating rounds of ${AUDIT.total} Ed25519 32 B signatures at ${AUDIT.callers} callers through the enclave and through the same enclave built without its audit log (bench-only build variant); cost = 1 − on/off.`,
  );
  if (!auditOnly) md.push('', sizeTable(size));
  for (const [b, e] of Object.entries(failures)) md.push('', `${b}: failed — ${e.split('\n')[0]}`);
  const text = md.join('\n');
  console.log(`\n${text}`);
  const dir = `${ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(
    {
      when,
      commit,
      quick,
      auditOnly,
      machine,
      n: { N, N_LARGE, COLD, KEYGEN, WARMUP, THROUGHPUT_TOTAL },
      results,
      verify,
      size,
      failures,
      audit: { ...AUDIT, verify: VERIFY },
    },
    null,
    2,
  );
  const stamp = when.replace(/[:.]/g, '-');
  writeFileSync(`${dir}/${stamp}.json`, json);
  writeFileSync(`${dir}/latest.json`, json);
  writeFileSync(`${dir}/latest.md`, `${text}\n`);
  console.log(
    `\nwrote bench/results/${stamp}.json, latest.json, latest.md (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
  process.exitCode = Object.keys(failures).length === 0 ? 0 : 1;
}

await main();
