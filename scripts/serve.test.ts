import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, serveSites } from './serve';

let PORT = 0;
let served: Served;
let dir: string;
let outside: string;

function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  outside = mkdtempSync(join(tmpdir(), 'sr-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  dir = mkdtempSync(join(tmpdir(), 'sr-serve-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
  writeFileSync(join(dir, 'assets', 'a.js'), 'export {}');
  served = await serveSites([
    { port: 0, root: dir, headers: (p) => ({ 'X-Path': p, 'X-Test': '1' }) },
  ]);
  PORT = served.ports[0] ?? 0;
});

afterAll(async () => {
  await served.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('the static server', () => {
  it('answers a missing file under assets/ with no-store, whatever the per-path headers say', async () => {
    const res = await get('/assets/missing.js');
    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-test']).toBe('1');
  });

  it('serves files with their headers and type', async () => {
    const index = await get('/');
    expect(index).toMatchObject({ status: 200, body: '<p>hi</p>' });
    expect(index.headers['x-path']).toBe('index.html');
    expect(index.headers['content-type']).toContain('text/html');
    expect((await get('/assets/a.js')).headers['content-type']).toContain('text/javascript');
  });

  it('sends the headers on 404 too', async () => {
    const missing = await get('/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-test']).toBe('1');
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%00',
    '/%E0%A4%A',
  ])('never serves outside its folder: %s', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('secret');
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await get('/', 'POST')).status).toBe(405);
    expect((await get('/', 'HEAD')).status).toBe(200);
  });

  it('rejects when a port is taken', async () => {
    await expect(serveSites([{ port: PORT, root: dir }])).rejects.toThrow();
  });
});
