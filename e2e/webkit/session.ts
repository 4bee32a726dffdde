/**
 * Starts a WebKitGTK browser for e2e tests: Xvfb (or an existing DISPLAY), `WebKitWebDriver` on a
 * free loopback port, and a selenium-webdriver session on `MiniBrowser --automation`. Every process
 * started here is killed by {@link WebKitSession.stop}, and also when the Node process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Builder, Capabilities, type WebDriver } from 'selenium-webdriver';
import { requireWebKit, type WebKitPaths } from './find-webkit';

/** Options for {@link startWebKitSession}. */
export interface WebKitSessionOptions {
  /**
   * Which X display to use. `'xvfb'` always starts a private Xvfb; `'inherit'` uses `DISPLAY`;
   * `'auto'` (default) uses `DISPLAY` when set, otherwise Xvfb. Any other string is used as-is
   * (e.g. `':99'`).
   */
  readonly display?: 'auto' | 'xvfb' | 'inherit' | string;
  /** Extra MiniBrowser command-line arguments, appended after `--automation`. */
  readonly browserArgs?: readonly string[];
  /**
   * HTTP proxy for every request the browser makes, e.g. `'http://127.0.0.1:8080'` (see
   * `host-proxy.ts`); passed as MiniBrowser `--proxy`. Loopback IPs bypass the proxy unless
   * `ignoreHosts` is set.
   */
  readonly proxy?: string;
  /** MiniBrowser `--ignore-host` list used with `proxy`; default `''` = proxy everything. */
  readonly ignoreHosts?: string;
  /** Paths override; default {@link requireWebKit}. */
  readonly paths?: WebKitPaths;
  /** Milliseconds to wait for Xvfb and the driver to come up (default 20 000). */
  readonly startTimeoutMs?: number;
  /** Script timeout for `executeAsyncScript`, ms (default 30 000). */
  readonly scriptTimeoutMs?: number;
  /** Forward driver/browser stderr to this process's stderr (default: env `STRONGROOM_WEBKIT_DEBUG`). */
  readonly debug?: boolean;
}

/** A running WebKitGTK browser session. */
export interface WebKitSession {
  /** The selenium-webdriver session. */
  readonly driver: WebDriver;
  /** X display the browser runs on (e.g. `':42'`). */
  readonly display: string;
  /** `WebKitWebDriver` base URL, `http://127.0.0.1:<port>`. */
  readonly driverUrl: string;
  /** Per-session HOME / XDG data + cache dir (deleted by `stop()`). */
  readonly profileDir: string;
  /** Wall-clock milliseconds from the call to a ready session, split by phase. */
  readonly timings: {
    readonly xvfbMs: number;
    readonly driverMs: number;
    readonly sessionMs: number;
  };
  /** Quit the session and kill driver, browser and Xvfb. Idempotent; never throws. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Kill a detached child's whole process group (driver → MiniBrowser → WebKit*Process). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const child of live) killGroup(child, 'SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      // Re-raise for the default action only if nobody else (e.g. a test runner) handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  killGroup(child, 'SIGTERM');
  if (!(await waitExit(child, 2000))) {
    killGroup(child, 'SIGKILL');
    await waitExit(child, 2000);
  }
  live.delete(child);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port'));
      });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start Xvfb with `-displayfd`, so the server itself picks a free display number. */
async function startXvfb(
  xvfb: string,
  timeoutMs: number,
  debug: boolean,
): Promise<{ child: ChildProcess; display: string }> {
  const child = track(
    spawn(
      xvfb,
      ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp', '-noreset'],
      {
        stdio: ['ignore', 'ignore', debug ? 'inherit' : 'ignore', 'pipe'],
        detached: true,
      },
    ),
  );
  const fd3 = child.stdio[3];
  if (!fd3 || !('on' in fd3)) throw new Error('Xvfb: no displayfd pipe');
  const display = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`Xvfb did not start in ${timeoutMs} ms`)),
      timeoutMs,
    );
    fd3.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /^(\d+)\n/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(`:${m[1]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}) before reporting a display`));
    });
  });
  return { child, display };
}

async function waitForDriver(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode})`);
    try {
      const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`WebKitWebDriver not ready at ${url} after ${timeoutMs} ms`);
}

/**
 * Launch a fresh WebKitGTK session.
 *
 * Capabilities sent: `{ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary,
 * args: ['--automation', ...browserArgs] } }`, via `Builder.usingServer()` with environment
 * overrides disabled (no Selenium Manager, no `SELENIUM_REMOTE_URL`).
 *
 * Each session gets its own HOME/XDG dirs; MiniBrowser in `--automation` mode additionally uses an
 * ephemeral (in-memory) website-data store, so IndexedDB survives reloads in the session but
 * never leaks into the next one.
 *
 * @throws if a tool is missing (message includes the apt command) or startup times out; anything
 *   already started is stopped before the error propagates.
 */
export async function startWebKitSession(
  options: WebKitSessionOptions = {},
): Promise<WebKitSession> {
  const t0 = Date.now();
  const debug = options.debug ?? Boolean(process.env.STRONGROOM_WEBKIT_DEBUG);
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const mode = options.display ?? 'auto';
  const useXvfb = mode === 'xvfb' || (mode === 'auto' && !process.env.DISPLAY);
  const paths = options.paths ?? requireWebKit(process.env, useXvfb);

  const children: ChildProcess[] = [];
  installExitHook();
  const profileDir = mkdtempSync(join(tmpdir(), 'strongroom-webkit-'));
  liveDirs.add(profileDir);
  let driver: WebDriver | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (driver) {
      await Promise.race([driver.quit().catch(() => undefined), sleep(5000)]);
    }
    for (const child of children.reverse()) await terminate(child);
    rmSync(profileDir, { recursive: true, force: true });
    liveDirs.delete(profileDir);
  };

  try {
    let display: string;
    if (useXvfb) {
      if (!paths.xvfb) throw new Error('Xvfb not found');
      const x = await startXvfb(paths.xvfb, timeoutMs, debug);
      children.push(x.child);
      display = x.display;
    } else if (mode === 'inherit' || mode === 'auto') {
      display = process.env.DISPLAY ?? '';
      if (!display) throw new Error('display: inherit but DISPLAY is not set');
    } else {
      display = mode;
    }
    const t1 = Date.now();

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DISPLAY: display,
      HOME: profileDir,
      XDG_DATA_HOME: join(profileDir, 'data'),
      XDG_CACHE_HOME: join(profileDir, 'cache'),
      XDG_CONFIG_HOME: join(profileDir, 'config'),
      // No accessibility bus / dconf under Xvfb: silence the warnings and the 25 s at-spi timeout.
      NO_AT_BRIDGE: '1',
      GSETTINGS_BACKEND: 'memory',
    };
    delete env.WAYLAND_DISPLAY;

    let driverUrl = '';
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const child = track(
        spawn(paths.driver, [`--port=${port}`, '--host=local'], {
          env,
          stdio: ['ignore', debug ? 'inherit' : 'ignore', debug ? 'inherit' : 'ignore'],
          detached: true,
        }),
      );
      children.push(child);
      driverUrl = `http://127.0.0.1:${port}`;
      try {
        await waitForDriver(driverUrl, child, timeoutMs);
        break;
      } catch (err) {
        await terminate(child);
        children.pop();
        if (attempt >= 2) throw err;
      }
    }
    const t2 = Date.now();

    const args = ['--automation', ...(options.browserArgs ?? [])];
    if (options.proxy) {
      args.push(`--proxy=${options.proxy}`, `--ignore-host=${options.ignoreHosts ?? ''}`);
    }
    const caps = new Capabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: paths.binary, args },
    });
    driver = await new Builder()
      .disableEnvironmentOverrides()
      .usingServer(driverUrl)
      .withCapabilities(caps)
      .build();
    await driver.manage().setTimeouts({ script: options.scriptTimeoutMs ?? 30_000 });
    const t3 = Date.now();

    const session: WebKitSession = {
      driver,
      display,
      driverUrl,
      profileDir,
      timings: { xvfbMs: t1 - t0, driverMs: t2 - t1, sessionMs: t3 - t2 },
      stop,
    };
    return session;
  } catch (err) {
    await stop();
    throw err;
  }
}
