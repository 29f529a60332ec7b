// Slab allocation of small byte arrays for the head. A Uint8Array with its own ArrayBuffer costs
// ~300 bytes of V8/native bookkeeping on top of its data (measured with a heap snapshot: the
// typed array, the ArrayBuffer object and the backing-store record); per series the head keeps two
// (open chunk, packed closed chunks). Carving them out of shared 64 KiB ArrayBuffers leaves only
// the Uint8Array view per array. Regions are never reused: a slab is freed by the GC once no view
// into it is alive (head chunks and closed-chunk arrays are replaced as series advance, so slabs
// of one generation die together; a slab stays pinned while any view into it lives).
const SLAB_SIZE = 64 * 1024;
/** Larger arrays get their own ArrayBuffer (the bookkeeping is small relative to them). */
const MAX_SLAB_ALLOC = 2048;

let slab: ArrayBuffer | null = null;
let slabOff = SLAB_SIZE;

/** A zeroed Uint8Array of length n, from a shared slab when small. */
export function slabAlloc(n: number): Uint8Array {
  if (n > MAX_SLAB_ALLOC) return new Uint8Array(n);
  const need = (n + 7) & ~7;
  if (slab === null || slabOff + need > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOff = 0;
  }
  const u = new Uint8Array(slab, slabOff, n);
  slabOff += need;
  return u;
}
