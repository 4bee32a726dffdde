/**
 * The browser-neutral page interface e2e test bodies are written against, so one body runs on a
 * Playwright `Page` (Chromium, Firefox) and on a WebKitGTK selenium session. Also holds the
 * evaluate "envelope" both implementations share, which pins down identical argument/result rules.
 */

/** A JSON value: the only thing that crosses the Node ↔ page boundary. */
export type Json =
  | null
  | boolean
  | number
  | string
  | readonly Json[]
  | { readonly [k: string]: Json };

/**
 * Code to run in the page: a self-contained function of one JSON argument (may be async), or a
 * string expression (if it evaluates to a function, that function is called with the argument).
 * The function is sent as source text: it must not close over anything from the test file.
 */
export type PageFunction<A extends Json | undefined, R> = string | ((arg: A) => R | Promise<R>);

/** Somewhere code can be evaluated: the top-level document or an iframe. */
export interface BrowserFrame {
  /**
   * Run `fn(arg)` in this document and await its result.
   *
   * Rules (enforced in both implementations): `arg` and the result must be JSON — no `Uint8Array`,
   * `ArrayBuffer`, `CryptoKey`, `Map`, `Date` or class instances (convert bytes with
   * `Array.from(bytes)` / `new Uint8Array(array)`); `undefined` results come back as `undefined`.
   * A throw or rejection in the page rejects with `Error("<name>: <message>")`.
   */
  evaluate<R, A extends Json | undefined = undefined>(fn: PageFunction<A, R>, arg?: A): Promise<R>;
  /**
   * Click the centre of the element matching `selector` as a person would: a real pointer
   * event at those coordinates, delivered to whatever is on top there (no check that the
   * element is the one hit, so a covered element is not clicked).
   */
  click(selector: string): Promise<void>;
}

/** One browser tab. */
export interface BrowserPage extends BrowserFrame {
  /** Navigate and wait for the `load` event (which includes iframes present in the HTML). */
  goto(url: string): Promise<void>;
  /** Reload and wait for `load`. */
  reload(): Promise<void>;
  /** The current top-level URL. */
  url(): Promise<string>;
  /**
   * A handle on the iframe matched by a CSS selector (or a chain of selectors for nested iframes),
   * resolved afresh on every `evaluate`, so it stays valid across reloads.
   */
  frame(selector: string | readonly string[]): BrowserFrame;
  /** Press a key as a person would, into whatever has focus (`'Enter'`, `'Tab'`, …). */
  press(key: 'Enter' | 'Tab' | 'Escape' | 'Space'): Promise<void>;
  /** Type `text` as a person would, key by key, into whatever has focus. */
  type(text: string): Promise<void>;
  /** Close the page; for WebKit this also stops the browser, driver and Xvfb. */
  close(): Promise<void>;
}

/** What the envelope hands back from the page. */
export type Envelope =
  | { readonly ok: true; readonly json?: string }
  | {
      readonly ok: false;
      readonly name: string;
      readonly message: string;
      readonly stack?: string;
    };

/**
 * Serialise an argument for the page, rejecting anything JSON would silently mangle.
 *
 * @throws TypeError naming the path of the offending value.
 */
export function encodeArg(arg: unknown): string {
  return JSON.stringify(arg === undefined ? null : arg, function replacer(this: unknown, key, v) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') {
      throw new TypeError(`evaluate arg: ${key || '(root)'} is ${typeof v}; use JSON values`);
    }
    if (typeof v === 'bigint') throw new TypeError(`evaluate arg: ${key || '(root)'} is a bigint`);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `evaluate arg: ${key || '(root)'} is a ${proto?.constructor?.name ?? 'non-plain object'}; ` +
            'pass JSON (bytes as Array.from(u8))',
        );
      }
    }
    return v;
  });
}

/**
 * The page-side runner, as source text. Called as `RUNNER(fnSource-evaluated, argJson)`; returns a
 * promise of an {@link Envelope}. Kept free of TypeScript syntax because it is sent verbatim.
 */
const RUNNER = `async (f, argJson) => {
  try {
    const arg = JSON.parse(argJson);
    const v = typeof f === 'function' ? await f(arg) : await f;
    if (v === undefined) return { ok: true };
    const json = JSON.stringify(v, function (k, x) {
      const where = k === '' ? 'result' : 'result.' + k;
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol' || typeof x === 'bigint')
        throw new TypeError(where + ' is ' + typeof x + '; return JSON values');
      if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
        const p = Object.getPrototypeOf(x);
        if (p !== Object.prototype && p !== null)
          throw new TypeError(where + ' is a ' + ((p && p.constructor && p.constructor.name) || 'non-plain object') +
            '; return JSON (bytes as Array.from(u8))');
      }
      return x;
    });
    return { ok: true, json };
  } catch (e) {
    const err = e && typeof e === 'object' ? e : { name: 'Error', message: String(e) };
    return { ok: false, name: String(err.name || 'Error'), message: String(err.message ?? e), stack: err.stack ? String(err.stack) : undefined };
  }
}`;

/** Source text of `fn`, or of the expression string. */
export function functionSource(fn: PageFunction<never, unknown>): string {
  return typeof fn === 'string' ? fn : fn.toString();
}

/**
 * A script body for WebDriver `executeAsyncScript`: reads the JSON argument from `arguments[0]`
 * and reports the {@link Envelope} through the callback. `fn` is inlined into the script text, so
 * no `eval` runs in the page and a CSP without `'unsafe-eval'` does not interfere. A no-op
 * `__name` is in scope because esbuild/tsx with `keepNames` wraps functions in `__name(fn, "x")`.
 */
export function asyncScriptFor(fn: PageFunction<never, unknown>): string {
  return `const done = arguments[arguments.length - 1];
const __name = (f) => f;
(${RUNNER})((${functionSource(fn)}
), arguments[0]).then(done, (e) => done({ ok: false, name: 'Error', message: String(e) }));`;
}

/**
 * A self-invoking expression (for Playwright's string `evaluate`) producing the same
 * {@link Envelope} as {@link asyncScriptFor}.
 */
export function expressionFor(fn: PageFunction<never, unknown>, argJson: string): string {
  return `((__name) => (${RUNNER})((${functionSource(fn)}
), ${JSON.stringify(argJson)}))((f) => f)`;
}

/**
 * Turn an envelope back into the value, or throw.
 *
 * @param where - label for error messages (e.g. `'page'` or `'frame iframe#kms'`).
 */
export function decodeEnvelope<R>(env: unknown, where: string): R {
  if (env === null || typeof env !== 'object' || !('ok' in env)) {
    throw new Error(`evaluate in ${where}: no result (did the page navigate away?)`);
  }
  const e = env as Envelope;
  if (!e.ok) {
    const err = new Error(`${e.name}: ${e.message}`);
    err.name = `PageError(${where})`;
    if (e.stack) err.stack = `${err.name}: ${err.message}\n    -- in ${where} --\n${e.stack}`;
    throw err;
  }
  return (e.json === undefined ? undefined : JSON.parse(e.json)) as R;
}
