/**
 * `npm test`: every check and every suite, in order, and one summary line at the end —
 * `N passed, N failed` (`, N skipped` when any) summed over all of them.
 *
 * 1. lint and format (Biome), 2. typecheck (tsc), 3. the published packages: `publint --strict`
 * on `@strongroom/bridge` and `@strongroom/verify`, and `attw --pack` (are the types wrong?) on
 * the bridge, each packing the package as `npm pack` would, 4. unit tests (Vitest), 5. e2e in
 * Chromium and Firefox (Playwright, both topologies), 6. e2e in WebKitGTK (Vitest +
 * selenium-webdriver). A suite that crashes before reporting counts as one failure.
 * `STRONGROOM_TEST_ONLY=unit,e2e,…` runs a subset (names: lint, typecheck, publint, attw, unit,
 * e2e, webkit).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** Of the passed, how many passed only on a retry (Playwright in CI). */
  flaky?: number;
}

const results: { name: string; counts: Counts }[] = [];
/** The names of the tests that failed, per suite, printed above the summary line. */
const failures: string[] = [];
const only = process.env.STRONGROOM_TEST_ONLY?.split(',').map((s) => s.trim());

/**
 * The first lines of a failure's message, without terminal colours, indented under the test's
 * name: enough to tell a timeout from an assertion in a CI log's tail.
 */
function firstLines(message: unknown, lines = 4): string {
  if (typeof message !== 'string' || message === '') return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  const kept = plain
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(0, lines)
    .map((l) => `      ${l.length > 200 ? `${l.slice(0, 200)}…` : l}`);
  return kept.length > 0 ? `\n${kept.join('\n')}` : '';
}

function run(command: string, args: string[]): number {
  const child = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  return child.status ?? 1;
}

/** Run one command as one check; `label` names it in the summary (default: `name`). */
function check(name: string, command: string, args: string[], label = name): void {
  if (only && !only.includes(name)) return;
  console.log(`\n── ${label}: ${command} ${args.join(' ')}`);
  const ok = run(command, args) === 0;
  results.push({ name: label, counts: { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 } });
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Run Vitest with a JSON report and count its tests. */
function vitest(name: string, extraArgs: string[]): void {
  if (only && !only.includes(name)) return;
  // Absolute: Vitest resolves the output file against the config's root.
  const out = resolve(`test-results/${name}.json`);
  rmSync(out, { force: true });
  console.log(`\n── ${name}: vitest ${extraArgs.join(' ')}`);
  const status = run('npx', [
    'vitest',
    'run',
    ...extraArgs,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  const report = readJson(out) as {
    numPassedTests?: number;
    numFailedTests?: number;
    numPendingTests?: number;
    numTodoTests?: number;
    testResults?: {
      name?: string;
      message?: string;
      assertionResults?: { fullName?: string; status?: string; failureMessages?: unknown[] }[];
    }[];
  } | null;
  for (const file of report?.testResults ?? []) {
    const where = relative(process.cwd(), file.name ?? '');
    for (const t of file.assertionResults ?? [])
      if (t.status === 'failed')
        failures.push(`${name}: ${where} › ${t.fullName}${firstLines(t.failureMessages?.[0])}`);
    if (file.message) failures.push(`${name}: ${where}${firstLines(file.message)}`);
  }
  if (!report || typeof report.numPassedTests !== 'number') {
    results.push({ name, counts: { passed: 0, failed: 1, skipped: 0 } });
    return;
  }
  const failed = report.numFailedTests ?? 0;
  results.push({
    name,
    counts: {
      passed: report.numPassedTests,
      // A non-zero exit without a failed test (a crashed file, an unhandled error) is a failure.
      failed: failed === 0 && status !== 0 ? 1 : failed,
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    },
  });
}

/** A suite in Playwright's JSON report (only the fields read here). */
interface PlaywrightSuite {
  title?: string;
  file?: string;
  specs?: {
    title?: string;
    file?: string;
    tests?: {
      projectName?: string;
      status?: string;
      results?: { error?: { message?: unknown } }[];
    }[];
  }[];
  suites?: PlaywrightSuite[];
}

/** Record every failed (unexpected) and flaky test in a Playwright suite, with its project. */
function collectPlaywright(name: string, suite: PlaywrightSuite, titles: string[]): void {
  const path = suite.title ? [...titles, suite.title] : titles;
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      if (t.status !== 'unexpected' && t.status !== 'flaky') continue;
      const what = t.status === 'flaky' ? 'flaky (passed on retry)' : 'failed';
      // The first failed attempt's error: for a flaky test, what the retry got past.
      const error = t.results?.find((r) => r.error)?.error?.message;
      failures.push(
        `${name}: [${t.projectName}] ${[...path, spec.title].join(' › ')} — ${what}${firstLines(error)}`,
      );
    }
  }
  for (const child of suite.suites ?? []) collectPlaywright(name, child, path);
}

/** Build the e2e bundles and run Playwright with a JSON report. */
function playwright(name: string): void {
  if (only && !only.includes(name)) return;
  console.log(`\n── ${name}: build the test bundles, then playwright test`);
  if (run('npx', ['tsx', 'scripts/build-test.ts']) !== 0) {
    results.push({ name, counts: { passed: 0, failed: 1, skipped: 0 } });
    return;
  }
  const out = 'test-results/e2e.json';
  rmSync(out, { force: true });
  const status = run('npx', ['playwright', 'test']);
  const report = readJson(out) as {
    stats?: { expected?: number; unexpected?: number; flaky?: number; skipped?: number };
    suites?: PlaywrightSuite[];
  } | null;
  for (const suite of report?.suites ?? []) collectPlaywright(name, suite, []);
  const stats = report?.stats;
  if (!stats) {
    results.push({ name, counts: { passed: 0, failed: 1, skipped: 0 } });
    return;
  }
  const failed = stats.unexpected ?? 0;
  results.push({
    name,
    counts: {
      passed: (stats.expected ?? 0) + (stats.flaky ?? 0),
      failed: failed === 0 && status !== 0 ? 1 : failed,
      skipped: stats.skipped ?? 0,
      flaky: stats.flaky ?? 0,
    },
  });
}

mkdirSync('test-results', { recursive: true });
check('lint', 'npx', ['biome', 'check', '--error-on-warnings', '.']);
check('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']);
// The package checks read the built packages: build them first (a clean clone has no dist/).
check('publint', 'npx', ['tsx', 'build/build-bridge.ts'], 'build bridge');
check('publint', 'npx', ['tsx', 'build/build-verify.ts'], 'build verify');
check('publint', 'npx', ['publint', '--strict', 'bridge'], 'publint bridge');
check('publint', 'npx', ['publint', '--strict', 'verify'], 'publint verify');
check('attw', 'npx', ['attw', '--pack', 'bridge', '--profile', 'esm-only'], 'attw bridge');
vitest('unit', []);
playwright('e2e');
if (existsSync('e2e/webkit/vitest.config.ts'))
  vitest('webkit', ['--config', 'e2e/webkit/vitest.config.ts']);

const total = results.reduce(
  (sum, r) => ({
    passed: sum.passed + r.counts.passed,
    failed: sum.failed + r.counts.failed,
    skipped: sum.skipped + r.counts.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);
if (failures.length > 0) {
  console.log('\n── failed and flaky tests');
  for (const f of failures) console.log(`  ${f}`);
}
console.log('\n── summary');
for (const r of results) {
  const { passed, failed, skipped, flaky } = r.counts;
  console.log(
    `  ${r.name.padEnd(15)} ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${flaky ? ` (${flaky} of the passed only on a retry: flaky, listed above)` : ''}`,
  );
}
console.log(
  `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
);
process.exitCode = total.failed === 0 && results.length > 0 ? 0 : 1;
