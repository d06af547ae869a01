import type { Adapter, LoraRank } from "../core/scenario/schema";
import { LIMITS, VLLM_LORA_RANKS } from "../core/scenario/schema";

export interface BulkSpec {
  count: number;
  /** ranks cycled over the adapters (adapter i gets ranks[i % ranks.length]) */
  ranks: number[];
  /** total request rate over all adapters, req/s */
  totalRateRps: number;
  /** Zipf exponent of the popularity (0 = uniform) */
  zipfAlpha: number;
  idPrefix: string;
}

/** Validate a bulk spec; returns a one-line message naming the field, or null. */
export function checkBulk(b: BulkSpec, existing: number): string | null {
  if (!Number.isInteger(b.count) || b.count < 1) return "N adapters: must be a whole number ≥ 1";
  if (existing + b.count > LIMITS.adapters)
    return `N adapters: at most ${LIMITS.adapters.toLocaleString()} adapters in a scenario (${existing} already)`;
  if (b.ranks.length === 0) return "ranks: pick at least one rank";
  if (b.ranks.some((r) => !(VLLM_LORA_RANKS as readonly number[]).includes(r)))
    return `ranks: must be among ${VLLM_LORA_RANKS.join(", ")}`;
  if (!(b.totalRateRps > 0) || !Number.isFinite(b.totalRateRps))
    return "total rate: must be > 0 req/s";
  if (!(b.zipfAlpha >= 0 && b.zipfAlpha <= 10)) return "Zipf α: must be in 0..10";
  if (b.idPrefix.length > LIMITS.idLength - 6)
    return `id prefix: at most ${LIMITS.idLength - 6} characters`;
  return null;
}

/** N adapters with Zipf(α) shares of the total rate, ranks cycled; ids `${prefix}${i}` not clashing with `taken`. */
export function generateAdapters(b: BulkSpec, taken: ReadonlySet<string>): Adapter[] {
  const w = Array.from({ length: b.count }, (_, i) => 1 / Math.pow(i + 1, b.zipfAlpha));
  const sum = w.reduce((a, x) => a + x, 0);
  const digits = String(b.count - 1).length;
  const out: Adapter[] = [];
  let k = 0;
  for (let i = 0; i < b.count; i++) {
    let id: string;
    do id = `${b.idPrefix}${String(k++).padStart(digits, "0")}`;
    while (taken.has(id));
    const rate = Math.min(LIMITS.rateRps, Math.max(1e-6, (b.totalRateRps * w[i]!) / sum));
    out.push({
      id,
      rank: b.ranks[i % b.ranks.length]! as LoraRank,
      rateRps: Number(rate.toPrecision(6)),
    });
  }
  return out;
}
