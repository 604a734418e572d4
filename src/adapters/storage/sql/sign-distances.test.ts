import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBytes } from '../../../domain/memory.js';
import { createSignDistances } from './sign-distances.js';

const bitsDiffering = (a: Uint8Array, b: Uint8Array): number => {
  let count = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    let x = (a[i] ?? 0) ^ (b[i] ?? 0);
    for (; x !== 0; x >>= 1) count += x & 1;
  }
  return count;
};

describe('sign distances', () => {
  it('runs in WebAssembly here', () => {
    expect(createSignDistances(384).webAssembly).toBe(true);
  });

  for (const webAssembly of [true, false]) {
    it(`counts the differing signs of every slot exactly (${webAssembly ? 'WebAssembly' : 'JavaScript'})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 600 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer(),
          (dimensions, count, seed) => {
            let state = seed >>> 0 || 1;
            const random = () => {
              state ^= state << 13;
              state ^= state >>> 17;
              state ^= state << 5;
              return (state >>> 0) / 2 ** 32 - 0.5;
            };
            const vector = () => Array.from({ length: dimensions }, random);
            const signs = createSignDistances(dimensions, { webAssembly });
            const items = Array.from({ length: count }, () => signBytes(vector()));
            // Reserved a little at a time: growing keeps what was stored.
            items.forEach((bytes, slot) => {
              signs.reserve(slot + 1);
              signs.set(slot, bytes);
            });
            const query = signBytes(vector());
            const distances = [...signs.distances(query, count)];
            expect(distances).toEqual(items.map((bytes) => bitsDiffering(bytes, query)));
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('is built from sign-distance.wat as it is now (node scripts/build-wasm.mjs)', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const build = (await import(
      join(here, '..', '..', '..', '..', 'scripts', 'build-wasm.mjs')
    )) as {
      compileSignDistance(): Promise<string>;
      generatedText(base64: string): string;
    };
    expect(readFileSync(join(here, 'sign-distance-wasm.ts'), 'utf8')).toBe(
      build.generatedText(await build.compileSignDistance()),
    );
  });
});
