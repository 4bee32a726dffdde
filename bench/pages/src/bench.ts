/**
 * The bench page (app origin): connects the bridge to the enclave, opens the raw-channel iframe
 * on the enclave's origin, and keeps a direct baseline, then exposes `window.bench` so the
 * runner (bench/run.ts) can time each figure on each path in the same page and run. Times are
 * taken in the page with `performance.now()`; where the clock is coarse (Firefox, WebKit: 1 ms)
 * calls are timed in batches and divided.
 */
import {
  connect,
  type Enclave,
  type GenerateKeyOptions,
  type KeyPurpose,
} from '@strongroom/bridge';
import { type Alg, Baseline, type Bytes, type Request } from './crypto-ops';

/** The purpose the keygen rows create each algorithm for (purpose does not change the cost). */
const BENCH_PURPOSE: { readonly [A in Alg]: KeyPurpose } = {
  ES256: 'sign',
  EdDSA: 'sign',
  X25519: 'agree',
  'ECDH-ES': 'agree',
  A256GCM: 'seal',
  A256KW: 'seal',
  HS256: 'mac',
};

/** Where a call goes. */
type Path = 'bridge' | 'raw' | 'direct';

/** The latency figures. */
const FIGURES = [
  'sign Ed25519 32 B',
  'sign Ed25519 4 KiB',
  'sign ES256 32 B',
  'sign ES256 4 KiB',
  'verify Ed25519 32 B',
  'signJwt EdDSA',
  'vapidAuth ES256',
  'seal 1 KiB',
  'open 1 KiB',
  'seal 1 MiB',
  'open 1 MiB',
] as const;
type Figure = (typeof FIGURES)[number];

const params = new URL(location.href).searchParams;
const ENCLAVE_URL = params.get('enclave') ?? '';
const RAW_URL = params.get('raw') ?? '';
/** The same enclave built with its audit log compiled out (bench-only variant). */
const ENCLAVE_AUDIT_OFF_URL = params.get('enclaveAuditOff') ?? '';
/**
 * The same enclave built as a dev build (bench-only server): its `info()` reports its
 * start-up marks (`devBoot`, enclave/src/lib/boot-marks.ts), which release builds do not have.
 */
const ENCLAVE_DEV_URL = params.get('enclaveDev') ?? '';

/** The connection the memory figures are read on (`bench.memoryConnect`). */
let memoryEnclave: Enclave | null = null;

/** A start-up mark of the enclave (ms since the Unix epoch), as `info().devBoot` reports it. */
interface BootMark {
  readonly name: string;
  readonly at: number;
}

/** `n` random bytes (getRandomValues takes at most 64 KiB at a time). */
function fill(n: number): Bytes {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}
const DATA = { '32': fill(32), '4k': fill(4096), '1k': fill(1024), '1m': fill(1024 * 1024) };
const JWT_CLAIMS = { iss: 'https://app.example', sub: 'user-42', aud: 'https://relay.example' };
const VAPID = { audience: 'https://push.example.net', subject: 'mailto:ops@app.example' };

/** A bare MessageChannel to the raw iframe: `{ id, req }` out, `{ id, value }` back. */
class RawChannel {
  #port: MessagePort;
  #next = 0;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(port: MessagePort) {
    this.#port = port;
    port.onmessage = (event: MessageEvent<{ id: number; value?: unknown; error?: string }>) => {
      const waiter = this.#pending.get(event.data.id);
      if (!waiter) return;
      this.#pending.delete(event.data.id);
      if (event.data.error) waiter.reject(new Error(event.data.error));
      else waiter.resolve(event.data.value);
    };
  }

  /** Frame `url` like the bridge frames the enclave, and hand it a port once it is ready. */
  static open(url: string): Promise<RawChannel> {
    return new Promise((resolve, reject) => {
      const iframe = document.createElement('iframe');
      iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
      iframe.style.display = 'none';
      iframe.src = url;
      const timer = setTimeout(() => reject(new Error('raw iframe timeout')), 20_000);
      window.addEventListener('message', function onReady(event) {
        if (event.source !== iframe.contentWindow || event.data?.type !== 'bench:ready') return;
        window.removeEventListener('message', onReady);
        clearTimeout(timer);
        const channel = new MessageChannel();
        iframe.contentWindow?.postMessage({ type: 'bench:connect' }, new URL(url).origin, [
          channel.port2,
        ]);
        resolve(new RawChannel(channel.port1));
      });
      document.body.append(iframe);
    });
  }

  /** Send a request and await its answer. */
  call(req: Request | { op: 'setup' }): Promise<unknown> {
    this.#next += 1;
    const id = this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#port.postMessage({ id, req });
    });
  }
}

let enclave: Enclave | null = null;
let auditOff: Enclave | null = null;
let raw: RawChannel | null = null;
const direct = new Baseline();
const bridgeKeys = { ed: '', edJwt: '', es: '', esVapid: '', kw: '' };
const prepared: Record<Path, { sig32: Bytes; env1k: Bytes; env1m: Bytes }> = {
  bridge: { sig32: new Uint8Array(), env1k: new Uint8Array(), env1m: new Uint8Array() },
  raw: { sig32: new Uint8Array(), env1k: new Uint8Array(), env1m: new Uint8Array() },
  direct: { sig32: new Uint8Array(), env1k: new Uint8Array(), env1m: new Uint8Array() },
};
let clockMs = 0;

function must<T>(v: T | null): T {
  if (v === null) throw new Error('bench not set up');
  return v;
}

/** One call on a baseline path. */
function baseline(path: 'raw' | 'direct', req: Request): Promise<unknown> {
  return path === 'raw' ? must(raw).call(req) : direct.run(req);
}

/** The request a figure sends to the baselines. */
function requestFor(figure: Figure, path: Path): Request {
  const p = prepared[path];
  switch (figure) {
    case 'sign Ed25519 32 B':
      return { op: 'sign', alg: 'EdDSA', data: DATA['32'] };
    case 'sign Ed25519 4 KiB':
      return { op: 'sign', alg: 'EdDSA', data: DATA['4k'] };
    case 'sign ES256 32 B':
      return { op: 'sign', alg: 'ES256', data: DATA['32'] };
    case 'sign ES256 4 KiB':
      return { op: 'sign', alg: 'ES256', data: DATA['4k'] };
    case 'verify Ed25519 32 B':
      return { op: 'verify', data: DATA['32'], signature: p.sig32 };
    case 'signJwt EdDSA':
      return { op: 'signJwt', claims: JWT_CLAIMS, expiresIn: 600 };
    case 'vapidAuth ES256':
      return { op: 'vapidAuth', ...VAPID };
    case 'seal 1 KiB':
      return { op: 'seal', data: DATA['1k'] };
    case 'open 1 KiB':
      return { op: 'open', envelope: p.env1k };
    case 'seal 1 MiB':
      return { op: 'seal', data: DATA['1m'] };
    case 'open 1 MiB':
      return { op: 'open', envelope: p.env1m };
  }
}

/** One call of a figure on a path, as a thunk. */
function opFor(figure: Figure, path: Path): () => Promise<unknown> {
  const req = requestFor(figure, path);
  if (path !== 'bridge') return () => baseline(path, req);
  const e = must(enclave);
  const p = prepared.bridge;
  const { ed, edJwt, es, esVapid, kw } = bridgeKeys;
  switch (figure) {
    case 'sign Ed25519 32 B':
      return () => e.sign(ed, DATA['32']);
    case 'sign Ed25519 4 KiB':
      return () => e.sign(ed, DATA['4k']);
    case 'sign ES256 32 B':
      return () => e.sign(es, DATA['32']);
    case 'sign ES256 4 KiB':
      return () => e.sign(es, DATA['4k']);
    case 'verify Ed25519 32 B':
      return () => e.verify(ed, DATA['32'], p.sig32);
    case 'signJwt EdDSA':
      return () => e.signJwt(edJwt, { header: { typ: 'JWT' }, claims: JWT_CLAIMS, expiresIn: 600 });
    case 'vapidAuth ES256':
      return () => e.vapidAuth(esVapid, VAPID);
    case 'seal 1 KiB':
      return () => e.seal(kw, DATA['1k']);
    case 'open 1 KiB':
      return () => e.open(p.env1k);
    case 'seal 1 MiB':
      return () => e.seal(kw, DATA['1m']);
    case 'open 1 MiB':
      return () => e.open(p.env1m);
  }
}

/** Calls of `op` per second with `callers` concurrent callers, `total` in all (after 20 warm-up). */
async function rate(
  op: () => Promise<unknown>,
  callers: number,
  total: number,
): Promise<{ elapsedMs: number; opsPerSec: number }> {
  for (let i = 0; i < 20; i++) await op();
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (started < total) {
        started += 1;
        await op();
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, opsPerSec: (total / elapsedMs) * 1000 };
}

/** The smallest non-zero step of `performance.now()`, over ~30 ms. */
function clockResolution(): number {
  let min = Number.POSITIVE_INFINITY;
  const until = performance.now() + 30;
  let last = performance.now();
  while (last < until) {
    const now = performance.now();
    if (now > last) {
      min = Math.min(min, now - last);
      last = now;
    }
  }
  return min;
}

/**
 * Time `n` calls after `warmup` calls. Each sample is the mean of a batch of calls; the batch
 * is 1 on a fine clock and grows on a coarse one so that a batch spans ≥ 5 clock steps.
 */
async function timeCalls(
  op: () => Promise<unknown>,
  n: number,
  warmup: number,
): Promise<{ batch: number; samples: number[] }> {
  const w0 = performance.now();
  for (let i = 0; i < warmup; i++) await op();
  const estimate = Math.max((performance.now() - w0) / Math.max(warmup, 1), 0.001);
  const batch =
    clockMs <= 0.02 ? 1 : Math.min(50, Math.max(1, Math.ceil((5 * clockMs) / estimate)));
  const samples: number[] = [];
  for (let done = 0; done < n; done += batch) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await op();
    samples.push((performance.now() - t0) / batch);
  }
  return { batch, samples };
}

const bench = {
  /** Connect the bridge, open the raw channel, make the keys and the inputs of verify/open. */
  async setup(): Promise<{ clockMs: number; userAgent: string }> {
    clockMs = clockResolution();
    const connected = await connect({ url: ENCLAVE_URL, timeoutMs: 20_000 });
    enclave = connected;
    raw = await RawChannel.open(RAW_URL);
    await raw.call({ op: 'setup' });
    await direct.setup();
    const make = async (options: GenerateKeyOptions) => (await connected.generateKey(options)).id;
    bridgeKeys.ed = await make({ alg: 'EdDSA', purpose: 'sign', label: 'bench ed' });
    // One purpose per key: JWTs need their own key.
    bridgeKeys.edJwt = await make({ alg: 'EdDSA', purpose: 'jwt', label: 'bench ed jwt' });
    bridgeKeys.es = await make({ alg: 'ES256', purpose: 'sign', label: 'bench es' });
    // vapidAuth needs a key made for it (purpose 'vapid').
    bridgeKeys.esVapid = await make({ alg: 'ES256', purpose: 'vapid', label: 'bench vapid' });
    bridgeKeys.kw = await make({ alg: 'A256KW', purpose: 'seal', label: 'bench kw' });
    prepared.bridge = {
      sig32: (await enclave.sign(bridgeKeys.ed, DATA['32'])) as Bytes,
      env1k: (await enclave.seal(bridgeKeys.kw, DATA['1k'])) as Bytes,
      env1m: (await enclave.seal(bridgeKeys.kw, DATA['1m'])) as Bytes,
    };
    for (const path of ['raw', 'direct'] as const) {
      prepared[path] = {
        sig32: (await baseline(path, { op: 'sign', alg: 'EdDSA', data: DATA['32'] })) as Bytes,
        env1k: (await baseline(path, { op: 'seal', data: DATA['1k'] })) as Bytes,
        env1m: (await baseline(path, { op: 'seal', data: DATA['1m'] })) as Bytes,
      };
    }
    return { clockMs, userAgent: navigator.userAgent };
  },

  /** The latency figures' names. */
  figures(): string[] {
    return [...FIGURES];
  },

  /** Time one latency figure on one path. */
  latency(arg: { figure: Figure; path: Path; n: number; warmup: number }) {
    return timeCalls(opFor(arg.figure, arg.path), arg.n, arg.warmup);
  },

  /** Time persisted key generation of one algorithm on one path. */
  keygen(arg: { alg: Alg; path: Path; n: number; warmup: number }) {
    const op =
      arg.path === 'bridge'
        ? () =>
            must(enclave).generateKey({
              alg: arg.alg,
              purpose: BENCH_PURPOSE[arg.alg],
              label: 'bench',
            })
        : () => baseline(arg.path as 'raw' | 'direct', { op: 'keygen', alg: arg.alg });
    return timeCalls(op, arg.n, arg.warmup);
  },

  /** Ed25519 32 B signatures per second with `callers` concurrent callers, `total` in all. */
  throughput(arg: { path: Path; callers: number; total: number }) {
    return rate(opFor('sign Ed25519 32 B', arg.path), arg.callers, arg.total);
  },

  /**
   * The audit log's cost: Ed25519 32 B signatures/s at `callers` callers through the enclave
   * (audit on) and through the same enclave built without its audit log (off), alternated
   * `rounds` times so both see the same machine. Also checks that each variant is what it
   * claims: `verifyAuditLog` answers on, and is refused STORAGE_UNAVAILABLE off.
   */
  async audit(arg: { callers: number; total: number; rounds: number }) {
    const on = must(enclave);
    auditOff ??= await connect({ url: ENCLAVE_AUDIT_OFF_URL, timeoutMs: 20_000 });
    const off = auditOff;
    const offKey = (await off.generateKey({ alg: 'EdDSA', purpose: 'sign' })).id;
    const checks = {
      on: (await on.verifyAuditLog()).ok,
      off: await off.verifyAuditLog().then(
        () => 'answered',
        (err: unknown) => (err as { code?: string }).code ?? String(err),
      ),
    };
    const onOp = () => on.sign(bridgeKeys.ed, DATA['32']);
    const offOp = () => off.sign(offKey, DATA['32']);
    const rates = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < arg.rounds; i++) {
      rates.on.push((await rate(onOp, arg.callers, arg.total)).opsPerSec);
      rates.off.push((await rate(offOp, arg.callers, arg.total)).opsPerSec);
    }
    return { ...rates, checks };
  },

  /**
   * `verifyAuditLog` over at least `entries` entries (the log keeps at most 10,000: topped up
   * with signatures first if it holds fewer), timed `runs` times in the page.
   */
  async verifyAudit(arg: { entries: number; runs: number }) {
    const e = must(enclave);
    const first = await e.verifyAuditLog();
    const missing = arg.entries - first.entries;
    if (missing > 0) await rate(() => e.sign(bridgeKeys.ed, DATA['32']), 32, missing + 64);
    const times: number[] = [];
    let last = first;
    for (let i = 0; i < arg.runs; i++) {
      const t0 = performance.now();
      last = await e.verifyAuditLog();
      times.push(performance.now() - t0);
    }
    return { times, entries: last.entries, checkpoints: last.checkpoints, ok: last.ok };
  },

  /**
   * In a fresh profile: `connect()` to the first signature (a new Ed25519 key, persisted, then
   * one signature), on the bridge, then the raw channel, then directly.
   */
  /**
   * Cold start of the dev build of the enclave with its start-up marks: the page's own
   * times (wall clock, like the marks) around `connect()` and the first signature, and the
   * marks of the enclave document and its key worker from `info().devBoot`.
   */
  async coldBreakdown(): Promise<{
    page: BootMark[];
    document: BootMark[];
    worker: BootMark[];
  }> {
    const wall = () => performance.timeOrigin + performance.now();
    const page: BootMark[] = [{ name: 'connect() called', at: wall() }];
    const e = await connect({ url: ENCLAVE_DEV_URL, timeoutMs: 20_000 });
    page.push({ name: 'connect() resolved', at: wall() });
    const key = await e.generateKey({ alg: 'EdDSA', purpose: 'sign' });
    page.push({ name: 'key generated', at: wall() });
    await e.sign(key.id, DATA['32']);
    page.push({ name: 'first signature', at: wall() });
    const info = (await e.info()) as { devBoot?: { document: BootMark[]; worker: BootMark[] } };
    e.dispose();
    return { page, document: info.devBoot?.document ?? [], worker: info.devBoot?.worker ?? [] };
  },

  /** Memory, at rest: connect to the enclave and make one call (`info`). */
  async memoryConnect(): Promise<void> {
    memoryEnclave = await connect({ url: ENCLAVE_URL, timeoutMs: 20_000 });
    await memoryEnclave.info();
  },

  /** Memory, loaded: `n` more persisted EdDSA keys on the connection of `memoryConnect`. */
  async memoryKeys(n: number): Promise<void> {
    const e = memoryEnclave;
    if (!e) throw new Error('memoryConnect first');
    // Eight at a time: n sequential round trips would take minutes in a slow engine.
    for (let i = 0; i < n; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, n - i) }, () =>
          e.generateKey({ alg: 'EdDSA', purpose: 'sign' }),
        ),
      );
    }
  },

  async coldStart() {
    const t0 = performance.now();
    const e = await connect({ url: ENCLAVE_URL, timeoutMs: 20_000 });
    const t1 = performance.now();
    const key = await e.generateKey({ alg: 'EdDSA', purpose: 'sign' });
    await e.sign(key.id, DATA['32']);
    const t2 = performance.now();
    const r0 = performance.now();
    const channel = await RawChannel.open(RAW_URL);
    const r1 = performance.now();
    await channel.call({ op: 'coldKey' });
    await channel.call({ op: 'sign', alg: 'EdDSA', data: DATA['32'] });
    const r2 = performance.now();
    const cold = new Baseline();
    const d0 = performance.now();
    await cold.run({ op: 'coldKey' });
    await cold.run({ op: 'sign', alg: 'EdDSA', data: DATA['32'] });
    const d2 = performance.now();
    return {
      bridge: { connectMs: t1 - t0, firstSignatureMs: t2 - t0 },
      raw: { connectMs: r1 - r0, firstSignatureMs: r2 - r0 },
      direct: { connectMs: 0, firstSignatureMs: d2 - d0 },
    };
  },
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.documentElement.dataset.bench = 'ready';
