/**
 * The build check: the real pipeline (`buildEnclave`) on small fixture enclaves that each
 * contain one forbidden thing must fail, naming the file and the pattern; a clean fixture
 * passes; and the text patterns do not fire on what the real bundle legitimately contains.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleCheckError, checkEnclaveBundle, scanCode } from './bundle-check';
import { buildEnclave } from './vite-enclave';

const INDEX = `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="./src/style.css">
<script type="module" src="./src/main.ts"></script></head><body></body></html>
`;
const CLEAN_MAIN = 'document.body.dataset.ok = String(1 + 1);\n';
const CLEAN_WORKER = "self.addEventListener('message', (e) => self.postMessage(e.data));\n";

let work: string;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'strongroom-bundle-check-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Write a fixture enclave source folder and build it; resolves with the build's error. */
async function buildFixture(
  files: { main?: string; worker?: string; extra?: Record<string, string> },
  out: string[] = [],
): Promise<unknown> {
  const root = join(work, `src-${++n}`);
  await mkdir(join(root, 'src'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'src/style.css'), 'body{margin:0}\n');
  await writeFile(join(root, 'src/main.ts'), files.main ?? CLEAN_MAIN);
  await writeFile(join(root, 'src/worker.ts'), files.worker ?? CLEAN_WORKER);
  for (const [name, text] of Object.entries(files.extra ?? {})) {
    await writeFile(join(root, 'src', name), text);
  }
  try {
    const built = await buildEnclave({
      allowedOrigins: ['https://app.example'],
      outDir: join(work, `out-${n}`),
      sourceRoot: root,
    });
    out.push(...built.files.map((f) => f.path));
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('buildEnclave on a fixture bundle', () => {
  describe('when the bundle is clean', () => {
    it('passes', async () => {
      expect(await buildFixture({})).toBeUndefined();
    });
  });

  describe('when it contains a forbidden construct, the build fails naming it', () => {
    it.each<[string, { main?: string; worker?: string }, RegExp]>([
      ['eval( in the page', { main: "(globalThis as any).r = eval('1 + 1');\n" }, /index-.*eval\(/],
      [
        'new Function in the worker',
        { worker: "(self as any).f = new Function('return 1');\n" },
        /worker-.*(new Function|Function\()/,
      ],
      [
        "a '*' target origin",
        { main: "window.parent.postMessage('hello', '*');\n" },
        /index-.*wildcard origin/,
      ],
      [
        'a wildcard in an origin string',
        { main: "(globalThis as any).o = ['https://*.example.com'];\n" },
        /index-.*wildcard in an origin/,
      ],
    ])('%s', async (_name, files, message) => {
      const err = await buildFixture(files);
      expect(err).toBeInstanceOf(BundleCheckError);
      expect((err as Error).message).toMatch(message);
    });
  });

  describe('when the worker imports another module statically', () => {
    it('bundles it in: one worker file, nothing left to resolve from its blob URL', async () => {
      const paths: string[] = [];
      const err = await buildFixture(
        {
          worker: "import { a } from './a';\nself.postMessage(a);\n",
          extra: { 'a.ts': 'export const a = 1;\n' },
        },
        paths,
      );
      expect(err).toBeUndefined();
      expect(paths.filter((p) => p.endsWith('.js'))).toEqual([
        expect.stringMatching(/^assets\/index-/),
        expect.stringMatching(/^assets\/worker-/),
      ]);
    });
  });

  describe('when the worker uses a dynamic import', () => {
    it('fails: the inlined import needs import.meta, which a blob URL cannot serve', async () => {
      const err = await buildFixture({
        worker: "import('./b').then((m) => self.postMessage(m.b));\n",
        extra: { 'b.ts': 'export const b = 2;\n' },
      });
      expect((err as Error).message).toMatch(/key worker .* must not import anything/);
    });
  });
});

describe('checkEnclaveBundle', () => {
  describe('when a file is not pinned by index.html', () => {
    it('names it', async () => {
      const dir = join(work, 'unpinned');
      await mkdir(join(dir, 'assets'), { recursive: true });
      await writeFile(join(dir, 'index.html'), '<!doctype html><p>x</p>');
      await writeFile(join(dir, 'assets/worker-1.js'), 'self.onmessage=()=>{};');
      await writeFile(join(dir, 'assets/extra-2.js'), 'export{};');
      const err = await checkEnclaveBundle(dir, 'assets/worker-1.js').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BundleCheckError);
      expect((err as BundleCheckError).findings).toEqual([
        { file: 'assets/extra-2.js', problem: 'not loaded with integrity by index.html' },
      ]);
    });
  });

  describe('when index.html loads a script with a wrong or missing integrity', () => {
    it('names the script', async () => {
      const dir = join(work, 'badsri');
      await mkdir(join(dir, 'assets'), { recursive: true });
      await writeFile(
        join(dir, 'index.html'),
        '<script type="module" src="./assets/a.js" integrity="sha384-AAAA" crossorigin></script>' +
          '<script type="module" src="./assets/w.js"></script>',
      );
      await writeFile(join(dir, 'assets/a.js'), 'export{};');
      await writeFile(join(dir, 'assets/w.js'), 'export{};');
      const err = (await checkEnclaveBundle(dir, 'assets/w.js').catch((e: unknown) => e)) as Error;
      expect(err.message).toContain('integrity of ./assets/a.js is not its sha384');
      expect(err.message).toContain('./assets/w.js has no crossorigin attribute');
    });
  });
});

describe('checkEnclaveBundle parses index.html as the browser does', () => {
  // Each of these makes Chromium run /assets/x.js; a regex tokenizer used to see no script.
  it.each([
    ['after <!-->', '<!--><script type="module" src="./assets/x.js"></script><!-- -->'],
    ['after <!--->', '<!---><script type="module" src="./assets/x.js"></script><!-- -->'],
    ['as <svg><script href>', '<svg><script href="./assets/x.js"></script></svg>'],
  ])('reports a script loaded %s', async (name, html) => {
    const dir = join(work, `differential-${name.replace(/\W+/g, '-')}`);
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), `<!doctype html>${html}`);
    await writeFile(join(dir, 'assets/w.js'), 'self.onmessage=()=>{};');
    await writeFile(join(dir, 'assets/x.js'), 'export{};');
    const err = (await checkEnclaveBundle(dir, 'assets/w.js').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(BundleCheckError);
    const problems = (err as BundleCheckError).findings.map((f) => f.problem).join('\n');
    expect(problems).toContain('./assets/x.js');
    // The parser sees the reference, so the file counts as loaded (unpinned), not as a stray.
    expect((err as BundleCheckError).findings).not.toContainEqual(
      expect.objectContaining({ file: 'assets/x.js' }),
    );
  });

  it('refuses an SVG script even with the right integrity: the browser does not check it', async () => {
    const dir = join(work, 'svg-script-pinned');
    await mkdir(join(dir, 'assets'), { recursive: true });
    const code = 'export{};';
    const { sha384Sri } = await import('./release/digest');
    await writeFile(
      join(dir, 'index.html'),
      `<svg><script href="./assets/x.js" integrity="${sha384Sri(new TextEncoder().encode(code))}" crossorigin></script></svg>`,
    );
    await writeFile(join(dir, 'assets/w.js'), 'self.onmessage=()=>{};');
    await writeFile(join(dir, 'assets/x.js'), code);
    const err = (await checkEnclaveBundle(dir, 'assets/w.js').catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(
      'loads ./assets/x.js (svg script), which the browser runs without checking integrity',
    );
  });
});

describe('scanCode', () => {
  describe('when the code only looks similar', () => {
    it.each([
      ['a comparison with "*" (Comlink reads origins)', 'if(t===n||n===`*`)return!0'],
      [
        "Comlink's unused default allowedOrigins",
        'function d(e,t=globalThis,n=[`*`]){t.addEventListener(`message`,r)}',
      ],
      ['a method named evaluate', 'x.evaluate(1);y.evaluated=2'],
      ['a Function type check', 'typeof e==`function`&&e instanceof Function'],
      ['a glob in a comment-free string', 'let p=`a*b`'],
    ])('%s passes', (_name, code) => {
      expect(scanCode('a.js', code)).toEqual([]);
    });
  });

  describe('when the code uses a forbidden construct', () => {
    it.each([
      ['eval(', 'eval("x")'],
      ['indirect eval', '(0,eval)("x")'],
      ['eval(', 'globalThis.eval("x")'],
      ['new Function', 'new Function("return this")'],
      ['Function(', 'Function("return this")()'],
      ["'*' (wildcard origin)", 'parent.postMessage(m,"*")'],
      ["'*' (wildcard origin)", "expose(api,port,['*'])"],
      ['wildcard in an origin', 'const o=`https://*.example`'],
    ])('%s is reported', (name, code) => {
      expect(scanCode('a.js', code).map((f) => f.problem)).toContainEqual(
        expect.stringContaining(`contains ${name}`),
      );
    });
  });
});
