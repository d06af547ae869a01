/**
 * Where each adapter's weights are: in one of the `maxLoras` GPU slots, in the host cache
 * of `maxCpuLoras` adapters, or only on disk. Both caches are LRU, as vLLM's
 * `LRUCacheWorkerLoRAManager` / `LRUCacheLoRAModelManager` (vllm/lora/worker_manager.py,
 * vllm/lora/models.py): every adapter of a step's batch is touched; a missing one is read
 * from disk into the host cache (evicting its least recently used adapter, which also
 * leaves its GPU slot) and copied into a GPU slot (evicting the least recently used slot).
 *
 * JavaScript `Map`s keep insertion order, so delete-then-set moves an entry to the most
 * recent end and the first key is the least recently used.
 */
export class LoraCache {
  private readonly gpu = new Map<number, true>();
  private readonly cpu = new Map<number, true>();
  readonly gpuSlots: number;
  readonly cpuSlots: number;
  /** copies into a GPU slot so far */
  gpuLoads = 0;
  /** reads from disk so far */
  diskLoads = 0;

  constructor(gpuSlots: number, cpuSlots: number) {
    this.gpuSlots = gpuSlots;
    this.cpuSlots = Math.max(cpuSlots, gpuSlots);
  }

  /**
   * Make `adapter` resident for this step. `inBatch` tells which adapters the step uses (they
   * must not be evicted). Returns what it cost: 0 = already in a slot, 1 = copied from host,
   * 2 = read from disk and copied.
   */
  activate(adapter: number, inBatch: (a: number) => boolean): 0 | 1 | 2 {
    if (this.gpu.has(adapter)) {
      this.gpu.delete(adapter);
      this.gpu.set(adapter, true);
      this.cpu.delete(adapter);
      this.cpu.set(adapter, true);
      return 0;
    }
    let cost: 1 | 2 = 1;
    if (this.cpu.has(adapter)) {
      this.cpu.delete(adapter);
    } else {
      cost = 2;
      this.diskLoads++;
      if (this.cpu.size >= this.cpuSlots) this.evictCpu(inBatch);
    }
    this.cpu.set(adapter, true);
    if (this.gpu.size >= this.gpuSlots) this.evictGpu(inBatch);
    this.gpu.set(adapter, true);
    this.gpuLoads++;
    return cost;
  }

  isOnGpu(adapter: number): boolean {
    return this.gpu.has(adapter);
  }

  private evictGpu(inBatch: (a: number) => boolean): void {
    for (const a of this.gpu.keys()) {
      if (!inBatch(a)) {
        this.gpu.delete(a);
        return;
      }
    }
    throw new Error("more distinct adapters in a batch than GPU LoRA slots");
  }

  private evictCpu(inBatch: (a: number) => boolean): void {
    for (const a of this.cpu.keys()) {
      if (!inBatch(a)) {
        this.cpu.delete(a);
        this.gpu.delete(a);
        return;
      }
    }
    throw new Error("more distinct adapters in a batch than host LoRA slots");
  }
}
