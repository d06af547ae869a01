/**
 * Where each adapter's weights are: in one of the `maxLoras` GPU slots, in the host cache
 * of `maxCpuLoras` adapters, or only on disk — managed exactly as vLLM 0.8.5 does it
 * (`vllm/lora/worker_manager.py: LRUCacheWorkerLoRAManager`, `vllm/lora/models.py:
 * LRUCacheLoRAModelManager`), because its quirks cost real time:
 *
 * - every step, the adapters of the batch are applied one by one, in the iteration order of
 *   a Python `set` of `LoRARequest`s (hash = the adapter's integer id, so ascending id for
 *   the ids a server hands out, 1..N);
 * - applying an adapter not in the host cache reads it from disk, then evicts the host
 *   cache's least recently used adapter (which also leaves its GPU slot);
 * - activating an adapter not in a GPU slot evicts the least recently used *active* adapter —
 *   without checking whether the current batch still needs it. An adapter of this batch not
 *   yet applied in this step can be the one evicted; it is then reloaded when its turn comes,
 *   evicting the next one: one new adapter can cascade into many CPU→GPU copies.
 *
 * JavaScript `Map`s keep insertion order, so delete-then-set moves an entry to the most
 * recent end and the first key is the least recently used.
 */
const ascending = (a: number, b: number) => a - b;

export class LoraCache {
  private readonly gpu = new Map<number, true>();
  private readonly cpu = new Map<number, true>();
  readonly gpuSlots: number;
  readonly cpuSlots: number;
  /** copies into a GPU slot so far */
  gpuLoads = 0;
  /** reads from disk so far */
  diskLoads = 0;
  /** when each adapter was last in an applied batch, and that batch's number and size */
  private readonly appliedIn: Int32Array;
  private applied = 0;
  private appliedSize = -1;

  /** @param adapters number of adapters (their indices are their vLLM ids' order) */
  constructor(gpuSlots: number, cpuSlots: number, adapters: number) {
    this.gpuSlots = gpuSlots;
    this.cpuSlots = Math.max(cpuSlots, gpuSlots);
    this.appliedIn = new Int32Array(adapters).fill(-1);
  }

  /**
   * Apply one step's batch of distinct adapters (any order; sorted in place into vLLM's
   * set order). Returns the CPU→GPU copies this step did; the adapters read from disk are
   * written into `diskOut` (cleared first). Re-applying the previous batch changes nothing
   * and costs nothing, so that case returns at once.
   */
  applyBatch(adapters: number[], diskOut: number[]): number {
    diskOut.length = 0;
    let same = adapters.length === this.appliedSize;
    for (let i = 0; same && i < adapters.length; i++)
      same = this.appliedIn[adapters[i]!] === this.applied;
    this.applied++;
    for (let i = 0; i < adapters.length; i++) this.appliedIn[adapters[i]!] = this.applied;
    this.appliedSize = adapters.length;
    if (same) return 0;
    adapters.sort(ascending);
    let gpuLoads = 0;
    for (let i = 0; i < adapters.length; i++) {
      const a = adapters[i]!;
      if (this.cpu.has(a)) {
        this.cpu.delete(a); // touch
        this.cpu.set(a, true);
      } else {
        diskOut.push(a);
        this.diskLoads++;
        if (this.cpu.size + 1 > this.cpuSlots) {
          const oldest = this.cpu.keys().next().value as number;
          this.cpu.delete(oldest);
          this.gpu.delete(oldest); // leaving the host cache deactivates it
        }
        this.cpu.set(a, true);
      }
      if (this.gpu.has(a)) {
        this.gpu.delete(a); // touch
      } else {
        if (this.gpu.size >= this.gpuSlots) {
          const oldest = this.gpu.keys().next().value as number;
          this.gpu.delete(oldest); // may be an adapter this batch still needs
        }
        gpuLoads++;
        this.gpuLoads++;
      }
      this.gpu.set(a, true);
    }
    return gpuLoads;
  }

  isOnGpu(adapter: number): boolean {
    return this.gpu.has(adapter);
  }
}
