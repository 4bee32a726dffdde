/**
 * The committed PNG icons are what `icons.ts` draws: each file is a valid PNG (signature, chunk
 * CRCs, IHDR of the right size, RGBA) whose inflated pixels equal the rasterizer's, and the
 * manifest lists them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ICON_SIZES, iconPixels } from './icons';

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)));

describe('the demo PNG icons', () => {
  it.each(ICON_SIZES)('icon-%i.png holds the drawn pixels', (size) => {
    const png = read(`../public/icon-${size}.png`);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]));
    const idat: Buffer[] = [];
    let ihdr: Buffer | null = null;
    for (let at = 8; at < png.length; ) {
      const length = png.readUInt32BE(at);
      const type = png.subarray(at + 4, at + 8).toString('latin1');
      const data = png.subarray(at + 8, at + 8 + length);
      expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
      if (type === 'IHDR') ihdr = data;
      if (type === 'IDAT') idat.push(data);
      at += 12 + length;
    }
    expect(ihdr?.readUInt32BE(0)).toBe(size);
    expect(ihdr?.readUInt32BE(4)).toBe(size);
    expect([ihdr?.[8], ihdr?.[9]]).toEqual([8, 6]);
    expect(inflateSync(Buffer.concat(idat)).equals(iconPixels(size))).toBe(true);
  });

  it('the manifest lists them with their sizes', () => {
    const manifest = JSON.parse(read('../public/manifest.webmanifest').toString('utf8')) as {
      icons: { src: string; sizes: string; type: string }[];
    };
    for (const size of ICON_SIZES) {
      expect(manifest.icons).toContainEqual(
        expect.objectContaining({
          src: `icon-${size}.png`,
          sizes: `${size}x${size}`,
          type: 'image/png',
        }),
      );
    }
  });
});
