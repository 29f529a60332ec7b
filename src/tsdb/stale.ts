// Prometheus staleness marker: the NaN with bits 0x7ff0000000000002. JavaScript may quiet the NaN
// (set bit 51) when it passes through registers, but keeps the payload, so detection looks at the
// payload, and writers emit the canonical bits explicitly.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

u32[HI] = STALE_NAN_HI;
u32[LO] = STALE_NAN_LO;
/** The staleness marker as a JS number (its payload survives; compare with isStaleNaN, never ===). */
export const STALE_NAN: number = f64[0]!;

/** True when v is a staleness marker. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  f64[0] = v;
  return u32[LO] === STALE_NAN_LO && (u32[HI]! & 0x7ff7ffff) === STALE_NAN_HI;
}

/** Writes v's IEEE-754 bits into a DataView, canonicalising staleness markers to 0x7ff0000000000002. */
export function setFloat64Bits(dv: DataView, off: number, v: number, littleEndian = false): void {
  if (v !== v && isStaleNaN(v)) {
    if (littleEndian) {
      dv.setUint32(off, STALE_NAN_LO, true);
      dv.setUint32(off + 4, STALE_NAN_HI, true);
    } else {
      dv.setUint32(off, STALE_NAN_HI, false);
      dv.setUint32(off + 4, STALE_NAN_LO, false);
    }
    return;
  }
  dv.setFloat64(off, v, littleEndian);
}
