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
 * no cold starts, key generation or strongroom-verify). Ports: `STRONGROOM_BENCH_BASE_PORT` (default 4751…4754).
 * A figure that fails in one browser is recorded as failed (table and JSON `errors`); the run
 * goes on with the next figure.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type Browser, chromium, firefox } from '@playwright/test';
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
  },
});
const quick = values.quick === true;
/** Only the figures the audit log moves (to iterate on its cost). */
const auditOnly = values['audit-only'] === true;
const N = quick ? 100 : Number(values.n);
const N_LARGE = quick ? 20 : Number(values['n-large']);
const COLD = auditOnly ? 0 : quick ? 3 : Number(values.cold);
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
const BENCH_URL = `${APP}/bench.html?enclave=${encodeURIComponent(ENCLAVE)}&raw=${encodeURIComponent(RAW)}&enclaveAuditOff=${encodeURIComponent(ENCLAVE_AUDIT_OFF)}`;
/** Audit row: callers, signatures per measurement, alternating on/off rounds. */
const AUDIT = { callers: 32, total: quick ? 300 : 2000, rounds: quick ? 1 : 3 };
/** verifyAuditLog: entries (the log's retention cap) and timed runs. */
const VERIFY = { entries: 10_000, runs: 5 };
const OUT = `${ROOT}dist/bench`;

/** A browser the bench can open fresh pages (fresh profiles) in. */
interface Driver {
  readonly version: string;
  fresh(): Promise<{ page: BrowserPage; close(): Promise<void> }>;
  close(): Promise<void>;
}

async function playwrightDriver(browser: Browser): Promise<Driver> {
  return {
    version: browser.version(),
    async fresh() {
      const context = await browser.newContext();
      const page = playwrightPage(await context.newPage());
      return { page, close: () => context.close() };
    },
    close: () => browser.close(),
  };
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
        errors: coldErrors,
        seconds: 0,
      };
      for (const alg of auditOnly ? [] : ALGS) {
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
      if (!auditOnly) console.log(`   key generation: ${KEYGEN} per algorithm and path`);
      const figures = (await page.evaluate(() => window.bench.figures())).filter(
        (f) => !auditOnly || f === 'sign Ed25519 32 B',
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
      for (const callers of auditOnly ? [1, 32] : CALLERS) {
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
  ]);
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
  const verify = auditOnly
    ? { runs: [], ok: true, note: 'not run (--audit-only)' }
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
    `Run ${when} on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGiB} GiB), Node ${machine.node}; commit ${commit.slice(0, 12)}${quick ? '; --quick' : ''}${auditOnly ? '; --audit-only' : ''}.`,
    '',
    'Latency cells: median / p95 / p99 in ms; bridge/raw compares medians (throughput: rates).',
  ];
  for (const r of results) {
    md.push('', `### ${r.browser} ${r.version}`, '', markdownTable(rows(r)), '', batchNote(r));
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
