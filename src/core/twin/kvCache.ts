/**
 * Paged KV cache accounting (vLLM V1 `KVCacheManager` with prefix caching off): a pool of
 * fixed-size blocks; a request holds ⌈computed tokens / blockSize⌉ blocks, allocated as it
 * grows and all returned when it finishes or is preempted. (V1's early pre-allocation of 64
 * extra tokens per request was removed before 0.8.5, vllm-project/vllm#16941.) The engine
 * keeps each running request's block count; this is the pool.
 */
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

  /** Take `blocks` from the pool. @throws Error when fewer are free (the caller checks first). */
  take(blocks: number): void {
    if (blocks > this.free) throw new Error(`KV cache: ${blocks} blocks wanted, ${this.free} free`);
    this.free -= blocks;
  }

  /** Return `blocks` to the pool. */
  give(blocks: number): void {
    this.free += blocks;
  }
}
