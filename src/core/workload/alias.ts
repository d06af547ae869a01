/**
 * Walker's alias method (Vose's construction, "A Linear Algorithm for Generating Random Numbers
 * with a Given Distribution", IEEE TSE 1991): O(1) draws from a discrete distribution, one uniform
 * per draw and one data-dependent branch (a binary search over the cumulative weights costs one
 * mispredicted branch per halving, which dominated the length sampler).
 */
import type { Rng } from "./rng";

/** A discrete distribution over 0..n-1 prepared for O(1) draws. */
export interface AliasTable {
  /** number of outcomes */
  readonly n: number;
  /** Draws an outcome in 0..n-1 with probability weight / total weight (one `rng.next()`). */
  draw(rng: Rng): number;
  /**
   * The outcome of the uniform `u` in [0, 1): `draw` is `pick(rng.next())`. The top bits of `u`
   * choose the column and the rest the side, so `u` needs log2(n) + the weights' precision bits
   * (e.g. `rng.next32()` for 100 outcomes with integer weights summing to 10^6).
   */
  pick(u: number): number;
}

class Alias implements AliasTable {
  readonly n: number;
  /** keep-threshold of column i, in units of the total weight */
  private readonly keep: Float64Array;
  private readonly alias: Int32Array;
  private readonly total: number;
  constructor(n: number, keep: Float64Array, alias: Int32Array, total: number) {
    this.n = n;
    this.keep = keep;
    this.alias = alias;
    this.total = total;
  }
  draw(rng: Rng): number {
    return this.pick(rng.next());
  }
  pick(u: number): number {
    const x = u * this.n;
    const i = Math.floor(x);
    return (x - i) * this.total < this.keep[i]! ? i : this.alias[i]!;
  }
}

/**
 * Builds the alias table of non-negative weights (not necessarily normalized). With integer
 * weights whose sum times `n` stays below 2^53 every step is exact, so the table is the same on
 * every platform; with fractional weights it is the same wherever the weights are.
 *
 * @param weights one weight per outcome, finite and >= 0, at least one > 0
 * @throws RangeError when the weights are empty, negative, not finite or all zero
 */
export function createAliasTable(weights: ArrayLike<number>): AliasTable {
  const n = weights.length;
  if (n === 0) throw new RangeError("alias table needs at least one weight");
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w))
      throw new RangeError(`weight ${i} is ${w}: must be finite and >= 0`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError("alias table needs a positive weight");
  // Column i holds `total` units: scaled[i] = weight * n of its own, the rest borrowed from alias[i].
  const keep = new Float64Array(n);
  const alias = new Int32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    keep[i] = weights[i]! * n;
    alias[i] = i;
    (keep[i]! < total ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large[large.length - 1]!;
    alias[s] = l;
    keep[l] = keep[l]! + keep[s]! - total;
    if (keep[l]! < total) {
      large.pop();
      small.push(l);
    }
  }
  // Leftovers are full columns up to rounding (never a zero-weight outcome).
  let heaviest = 0;
  for (let i = 1; i < n; i++) if (weights[i]! > weights[heaviest]!) heaviest = i;
  for (const i of large) keep[i] = total;
  for (const i of small) {
    if (weights[i]! > 0) keep[i] = total;
    else {
      keep[i] = 0;
      alias[i] = heaviest;
    }
  }
  return new Alias(n, keep, alias, total);
}
