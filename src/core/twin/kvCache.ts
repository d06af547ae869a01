/**
 * Paged KV cache accounting (vLLM V1 `KVCacheManager` with prefix caching off): a pool of
 * fixed-size blocks; a request holds ⌈computed tokens / blockSize⌉ blocks, allocated as it
 * grows. (V1's early pre-allocation of 64 extra tokens per request was removed before
 * 0.8.5, vllm-project/vllm#16941.)
 */
import type { Request } from "./request";

export class KvCache {
  readonly totalBlocks: number;
  readonly blockSize: number;
  private free: number;

  constructor(totalBlocks: number, blockSize: number) {
    this.totalBlocks = totalBlocks;
    this.blockSize = blockSize;
    this.free = totalBlocks;
  }

  get freeBlocks(): number {
    return this.free;
  }

  get usedBlocks(): number {
    return this.totalBlocks - this.free;
  }

  /**
   * Make room for `tokens` more computed tokens of `r`. Returns false (and changes nothing)
   * when the pool lacks the blocks — the caller then preempts, as vLLM does.
   */
  allocate(r: Request, tokens: number): boolean {
    const total = r.numComputed + tokens;
    if (total <= r.blocks * this.blockSize) return true; // fast path: fits in held blocks
    const needed = Math.ceil(total / this.blockSize) - r.blocks;
    if (needed <= 0) return true;
    if (needed > this.free) return false;
    r.blocks += needed;
    this.free -= needed;
    return true;
  }

  /** Give `r` exactly `blocks` more blocks; the caller has checked they are free. */
  take(r: Request, blocks: number): void {
    if (blocks > this.free) throw new Error(`KV cache: ${blocks} blocks wanted, ${this.free} free`);
    r.blocks += blocks;
    this.free -= blocks;
  }

  /** Return all of `r`'s blocks to the pool. */
  release(r: Request): void {
    this.free += r.blocks;
    r.blocks = 0;
  }
}
