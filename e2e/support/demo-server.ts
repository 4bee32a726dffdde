/**
 * The demo server (`host-demo/server/`) as a child process of an e2e test, so that a test can
 * kill it like a crash, and the helper that opens the demo app (served by the e2e host server
 * under /demo/, an allowlisted origin) with its config pointing at that server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect } from './test';

/** The demo server as a child process. */
export class DemoServer {
  child: ChildProcess | null = null;
  port = 0;
  constructor(
    readonly dataDir: string,
    readonly cors: string,
    /** More command-line options (e.g. `--push-ca <file>`). */
    readonly extraArgs: readonly string[] = [],
  ) {}

  async start(port = 0): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'host-demo/server/main.ts',
        '--port',
        String(port),
        '--data-dir',
        this.dataDir,
        '--cors',
        this.cors,
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`demo server exited (${code})`)));
    });
  }

  /** SIGKILL: no shutdown handler runs, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  get api(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** The server's origin, e.g. for the release manifest it publishes (`--manifest`). */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `GET /api/registry`: every key the server knows, with its state. */
  async registry(): Promise<{ keyId: string; state: string; version: number }[]> {
    const answer = (await (await fetch(`${this.api}registry`)).json()) as {
      keys: { keyId: string; state: string; version: number }[];
    };
    return answer.keys;
  }

  /** Every byte of the database (the main file, the WAL and its index). */
  databaseBytes(): Buffer {
    return Buffer.concat(
      readdirSync(this.dataDir)
        .filter((f) => f.startsWith('demo.sqlite'))
        .map((f) => readFileSync(join(this.dataDir, f))),
    );
  }
}

/**
 * Open the demo app on `app` with its config answered here (enclave and API URLs, and `extra`
 * members such as `manifestUrl`).
 */
export async function openDemo(
  page: Page,
  app: string,
  enclave: string,
  server: DemoServer,
  extra: Readonly<Record<string, string>> = {},
): Promise<void> {
  await page.route(`${app}/demo/strongroom-config.json`, (route) =>
    route.fulfill({ json: { enclaveUrl: enclave, apiUrl: server.api, ...extra } }),
  );
  await page.goto(`${app}/demo/`);
}

/**
 * Wait until the demo app is registered with its server and has finished starting (every
 * panel wired: `<html data-ready="true">`). `#registration` says `registered` before the notes
 * load and the buttons are enabled: a test that disturbs the enclave (removes its frame) or
 * clicks a button at that moment races the app's own start, not what it means to test.
 */
export async function demoReady(page: Page): Promise<void> {
  await expect(page.locator('#registration')).toHaveAttribute('data-state', 'registered');
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true');
}
