/**
 * The release digest's list of files with the key worker counted once: index.html preloads the
 * worker, so the document's pins name it too, and a preload that names another pin leaves no
 * digest rather than a digest that hides the disagreement.
 */
import { describe, expect, it } from 'vitest';
import { type LoadedFile, releaseDigestOf, withWorker } from './release-digest';

const pin = (c: string) => `sha384-${c.repeat(64)}`;
const WORKER: LoadedFile = { path: 'assets/worker-1.js', sha384: pin('w') };
const SCRIPT: LoadedFile = { path: 'assets/index-1.js', sha384: pin('s') };
const STYLE: LoadedFile = { path: 'assets/index-1.css', sha384: pin('c') };

describe('withWorker', () => {
  describe('when the page preloads the worker with its pin', () => {
    it('lists the worker once, and the digest equals the one over each file once', async () => {
      const files = withWorker([SCRIPT, STYLE, WORKER], WORKER);
      expect(files).toEqual([SCRIPT, STYLE, WORKER]);
      expect(await releaseDigestOf(files ?? [])).toBe(
        await releaseDigestOf([WORKER, STYLE, SCRIPT]),
      );
    });
  });

  describe('when the page does not preload the worker', () => {
    it('adds the worker', () => {
      expect(withWorker([SCRIPT, STYLE], WORKER)).toEqual([SCRIPT, STYLE, WORKER]);
    });
  });

  describe('when the preload names another pin than the worker was fetched with', () => {
    it('gives no list, so no digest is reported', () => {
      expect(withWorker([SCRIPT, { path: WORKER.path, sha384: pin('x') }], WORKER)).toBeNull();
    });
  });
});
