/**
 * The sign bits of memory's vectors, one slot per item, and the Hamming distance of every slot to
 * a query's signs: the scan of memory's sign index (memory-vector-index.ts). The bits live in
 * WebAssembly memory and are counted with SIMD (sign-distance.wat); where WebAssembly SIMD is
 * missing, the same layout is counted in JavaScript, about six times slower.
 */

import { SIGN_DISTANCE_WASM } from './sign-distance-wasm.js';

export interface SignDistances {
  /** Room for `slots` items, keeping those stored. */
  reserve(slots: number): void;
  /** Stores a slot's signs (domain/memory.ts signBytes; shorter input is padded with zeros). */
  set(slot: number, bytes: Uint8Array): void;
  /**
   * The distance of each of the first `count` slots to `query`'s signs. The array is scratch:
   * valid until the next call, and the caller may overwrite it.
   */
  distances(query: Uint8Array, count: number): Uint16Array;
  /** Whether the count runs in WebAssembly. */
  readonly webAssembly: boolean;
}

const PAGE = 65_536;
/** Bytes of one chunk: 128 signs, one SIMD register. */
const CHUNK = 16;

interface Kernel {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  hamming(items: number, count: number, chunks: number, query: number, out: number): void;
}

/** The part of the WebAssembly API used here (the project's type libraries leave it out). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}
const webAssemblyApi = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, once per process; null where WebAssembly SIMD is not available. */
function signDistanceModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new webAssemblyApi!.Module(Buffer.from(SIGN_DISTANCE_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The same count as sign-distance.wat, in JavaScript, over a plain buffer. */
function javascriptKernel(): Kernel {
  let buffer = new ArrayBuffer(PAGE);
  return {
    memory: {
      get buffer() {
        return buffer;
      },
      grow(pages) {
        const wider = new ArrayBuffer(buffer.byteLength + pages * PAGE);
        new Uint8Array(wider).set(new Uint8Array(buffer));
        const before = buffer.byteLength / PAGE;
        buffer = wider;
        return before;
      },
    },
    hamming(items, count, chunks, query, out) {
      const words = new Int32Array(buffer);
      const distances = new Uint16Array(buffer, out, count);
      const stride = chunks * 4;
      for (let i = 0, base = items / 4; i < count; i++, base += stride) {
        let d = 0;
        for (let w = 0; w < stride; w++) {
          let x = words[base + w]! ^ words[query / 4 + w]!;
          x -= (x >>> 1) & 0x55555555;
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          x = (x + (x >>> 4)) & 0x0f0f0f0f;
          d += Math.imul(x, 0x01010101) >>> 24;
        }
        distances[i] = d;
      }
    },
  };
}

/**
 * Layout: the query's chunks at 0, the slots' chunks from `itemsAt` (they stay in place as the
 * slots grow), then the distances (scratch, placed after the slots).
 */
export function createSignDistances(
  dimensions: number,
  options: { readonly webAssembly?: boolean } = {},
): SignDistances {
  const chunks = Math.max(1, Math.ceil(dimensions / (CHUNK * 8)));
  const stride = chunks * CHUNK;
  const itemsAt = stride;
  const module = options.webAssembly === false ? null : signDistanceModule();
  const kernel: Kernel =
    module === null ? javascriptKernel() : (new webAssemblyApi!.Instance(module).exports as Kernel);
  let slots = 0;
  const distancesAt = () => itemsAt + slots * stride;
  const ensureBytes = (bytes: number): void => {
    const missing = bytes - kernel.memory.buffer.byteLength;
    if (missing > 0) kernel.memory.grow(Math.ceil(missing / PAGE));
  };
  return {
    webAssembly: module !== null,
    reserve(wanted) {
      if (wanted <= slots) return;
      slots = wanted;
      ensureBytes(distancesAt() + slots * 2);
    },
    set(slot, bytes) {
      const target = new Uint8Array(kernel.memory.buffer, itemsAt + slot * stride, stride);
      target.fill(0);
      target.set(bytes.subarray(0, stride));
    },
    distances(query, count) {
      const target = new Uint8Array(kernel.memory.buffer, 0, stride);
      target.fill(0);
      target.set(query.subarray(0, stride));
      kernel.hamming(itemsAt, count, chunks, 0, distancesAt());
      return new Uint16Array(kernel.memory.buffer, distancesAt(), count);
    },
  };
}
