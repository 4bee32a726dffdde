/**
 * The demo's PNG icons (192 and 512 px), drawn from the same shapes as `public/icon.svg` — a
 * rounded square, a padlock body, its shackle and keyhole — by a small rasterizer (4×4 samples a
 * pixel) and written as PNG with node:zlib. No image tool and no network: `npx tsx
 * host-demo/scripts/icons.ts` writes `public/icon-192.png` and `public/icon-512.png`, and
 * `icons.test.ts` checks that the committed files hold exactly these pixels.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

/** The icon sizes the manifest lists. */
export const ICON_SIZES = [192, 512] as const;

type Rgb = readonly [number, number, number];
const INK: Rgb = [0x1d, 0x35, 0x57];
const PAPER: Rgb = [0xf1, 0xfa, 0xee];

/** Inside a rounded rectangle (SVG `rect` with `rx`). */
function inRoundedRect(
  x: number,
  y: number,
  left: number,
  top: number,
  width: number,
  height: number,
  r: number,
): boolean {
  if (x < left || y < top || x > left + width || y > top + height) return false;
  const cx = Math.min(Math.max(x, left + r), left + width - r);
  const cy = Math.min(Math.max(y, top + r), top + height - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The colour at a point of the 512-unit SVG canvas, or null where it is transparent. */
function paint(x: number, y: number): Rgb | null {
  let colour: Rgb | null = null;
  if (inRoundedRect(x, y, 0, 0, 512, 512, 96)) colour = INK;
  // The shackle: `M176 224 v-56 a80 80 0 0 1 160 0 v56`, stroke 40 (butt caps).
  const onSide = (Math.abs(x - 176) <= 20 || Math.abs(x - 336) <= 20) && y >= 168 && y <= 224;
  const onArc = y <= 168 && Math.abs(Math.hypot(x - 256, y - 168) - 80) <= 20;
  if (onSide || onArc) colour = PAPER;
  if (inRoundedRect(x, y, 136, 224, 240, 184, 24)) colour = PAPER;
  if ((x - 256) ** 2 + (y - 304) ** 2 <= 28 * 28) colour = INK;
  return colour;
}

/** RGBA rows of the icon at `size` px, each prefixed with PNG filter type 0. */
export function iconPixels(size: number): Buffer {
  const n = 4;
  const scale = 512 / size;
  const rows = Buffer.alloc(size * (1 + size * 4));
  for (let py = 0; py < size; py++) {
    const row = py * (1 + size * 4);
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = paint((px + (sx + 0.5) / n) * scale, (py + (sy + 0.5) / n) * scale);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          covered++;
        }
      }
      const o = row + 1 + px * 4;
      if (covered > 0) {
        rows[o] = Math.round(r / covered);
        rows[o + 1] = Math.round(g / covered);
        rows[o + 2] = Math.round(b / covered);
        rows[o + 3] = Math.round((covered * 255) / (n * n));
      }
    }
  }
  return rows;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG (8-bit RGBA, no interlace) of the icon at `size` px. */
export function iconPng(size: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(iconPixels(size), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const size of ICON_SIZES) {
    const path = fileURLToPath(new URL(`../public/icon-${size}.png`, import.meta.url));
    writeFileSync(path, iconPng(size));
    console.log(`wrote ${path}`);
  }
}
