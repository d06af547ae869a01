/**
 * Seeded uniform random numbers for the workload generator: pure-rand's xoroshiro128+ seeded
 * through SplitMix64, one independent sub-stream per (seed, stream) pair. Only integer and
 * IEEE-754 basic arithmetic is involved, so the sequence is bit-identical on every JS engine.
 */
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/** A stream of uniform doubles. */
export interface Rng {
  /** Next uniform double in [0, 1): a multiple of 2^-53 (53 random bits, two generator steps). */
  next(): number;
  /**
   * Next uniform double in [0, 1) with 32 random bits (a multiple of 2^-32, one generator step,
   * about half the cost of {@link next}): for table lookups and small integer ranges, where 32
   * bits are plenty; not for tails of continuous distributions.
   */
  next32(): number;
}

const U32 = 0x1_0000_0000;
const M64 = (1n << 64n) - 1n;
/** 2^-53 */
const SCALE53 = 1 / 9007199254740992;
/** 2^-32 */
const SCALE32 = 1 / 4294967296;

/**
 * SplitMix64 (Steele, Lea & Flood 2014; the seeding generator Vigna recommends for the xoroshiro
 * family, constants from his reference `splitmix64.c`): returns the next state and its output.
 */
function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & M64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return [s, z ^ (z >> 31n)];
}

const hi32 = (x: bigint): number => Number(BigInt.asIntN(32, x >> 32n));
const lo32 = (x: bigint): number => Number(BigInt.asIntN(32, x));

class XoroRng implements Rng {
  private readonly g: RandomGenerator;
  constructor(g: RandomGenerator) {
    this.g = g;
  }
  next(): number {
    // pure-rand returns the low 32 bits of xoroshiro128+'s 64-bit output. Its lowest bits are
    // the weak ones (low linear complexity), so take the top 27 and 26 bits of two outputs
    // (pure-rand's own uniformFloat64 masks the low bits instead).
    const a = this.g.next() >>> 5;
    const b = this.g.next() >>> 6;
    return (a * 67108864 + b) * SCALE53;
  }
  next32(): number {
    return (this.g.next() >>> 0) * SCALE32;
  }
}

/**
 * Creates the uniform stream for `(seed, stream)`.
 *
 * The 128-bit xoroshiro128+ state is two SplitMix64 outputs of `seed * 2^32 + stream`, so
 * every pair gets its own well-mixed starting point and streams are statistically independent
 * (the chance that two of them overlap within 2^40 draws is below 2^-47 even for 2^20 streams).
 * Callers give each consumer its own `stream` (e.g. one per adapter), so adding a consumer
 * never shifts the numbers another one draws.
 *
 * @param seed integer in [0, 2^32) (the workload seed)
 * @param stream integer in [0, 2^32), default 0
 * @throws RangeError when `seed` or `stream` is not an integer in range (a bug in the caller:
 *   user input is validated by the scenario schema)
 */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed >= U32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  if (!Number.isInteger(stream) || stream < 0 || stream >= U32) {
    throw new RangeError(`stream must be an integer in [0, 2^32), got ${stream}`);
  }
  const [x1, s0] = splitmix64((BigInt(seed) << 32n) | BigInt(stream));
  let [, s1] = splitmix64(x1);
  if (s0 === 0n && s1 === 0n) s1 = 1n; // the all-zero state is the one xoroshiro cannot leave
  // pure-rand's state layout: [high word of s0, low word of s0, high word of s1, low word of s1].
  return new XoroRng(xoroshiro128plusFromState([hi32(s0), lo32(s0), hi32(s1), lo32(s1)]));
}

/**
 * Uniform integer in the inclusive range [lo, hi]: `lo + floor(u * (hi - lo + 1))`.
 * The bias from 53-bit resolution is below (hi - lo + 1) / 2^53, negligible for token counts.
 */
export function uniformInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1));
}
