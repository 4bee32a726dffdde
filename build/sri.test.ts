/**
 * The SRI plugin's HTML rewrite: every script and stylesheet of the bundle gets its sha384 and
 * `crossorigin`; anything it cannot pin fails the build instead of shipping unpinned.
 */
import { createHash } from 'node:crypto';
import type { Rolldown } from 'vite';
import { describe, expect, it } from 'vitest';
import { addIntegrity } from './sri';

const JS = 'console.log(1);';
const CSS = 'body{margin:0}';
const bundle = {
  'assets/a.js': { type: 'chunk', code: JS },
  'assets/b.css': { type: 'asset', source: new TextEncoder().encode(CSS) },
} as unknown as Rolldown.OutputBundle;
const sri = (s: string) => `sha384-${createHash('sha384').update(s).digest('base64')}`;

describe('addIntegrity', () => {
  it('pins scripts and stylesheets with sha384 and crossorigin', () => {
    const html =
      '<script type="module" crossorigin src="./assets/a.js"></script>\n' +
      '<link rel="stylesheet" href="./assets/b.css">';
    expect(addIntegrity(html, bundle)).toBe(
      `<script type="module" crossorigin src="./assets/a.js" integrity="${sri(JS)}"></script>\n` +
        `<link rel="stylesheet" href="./assets/b.css" integrity="${sri(CSS)}" crossorigin>`,
    );
  });

  describe('when a reference is not a file of the build', () => {
    it('fails rather than load it unpinned', () => {
      expect(() =>
        addIntegrity('<script src="https://cdn.example/x.js"></script>', bundle),
      ).toThrow('is not a file of this build');
    });
  });

  describe('when a reference is a file of an earlier build phase', () => {
    it('pins it from the known files (the preloaded key worker)', () => {
      const worker = new TextEncoder().encode('self.onmessage = () => {};');
      const known = new Map([['assets/worker-1.js', worker]]);
      expect(
        addIntegrity(
          '<link rel="preload" as="fetch" href="./assets/worker-1.js" crossorigin>',
          bundle,
          known,
        ),
      ).toBe(
        `<link rel="preload" as="fetch" href="./assets/worker-1.js" integrity="sha384-${createHash('sha384').update(worker).digest('base64')}" crossorigin>`,
      );
    });

    it('still fails for a file that is in neither', () => {
      expect(() =>
        addIntegrity('<link rel="preload" href="./assets/other.js">', bundle, new Map()),
      ).toThrow('is not a file of this build');
    });
  });

  describe('when a tag already carries an integrity', () => {
    it('fails rather than keep a value it did not compute', () => {
      expect(() =>
        addIntegrity('<script src="./assets/a.js" integrity="sha384-x"></script>', bundle),
      ).toThrow('already has an integrity');
    });
  });
});
