/**
 * The engine's waiting queue (vLLM V1 `Scheduler.waiting`, a FIFO deque where preempted
 * requests go back to the front), organised so the LoRA-aware admission loop costs
 * O(adapters in the batch) instead of O(queue length):
 *
 * - one FIFO per adapter (requests of one adapter keep their queue order);
 * - a global order key per request: appends get increasing keys, front insertions
 *   decreasing ones, so "queue order" = "key order";
 * - a lazy min-heap of adapter heads gives the first request of the whole queue;
 * - a Fenwick tree over keys counts the requests ahead of a key (the requests vLLM's
 *   Python loop pops and puts back when their adapter cannot join the batch — their count
 *   is a scheduler cost).
 */
import Denque from "denque";
import { Heap } from "heap-js";
import type { Request } from "./request";

/** Adapter indices must stay below this to pack (key, adapter) into one heap number. */
const ADAPTER_RADIX = 32768;

/** Counts of items at non-negative integer positions, with prefix sums (grows on demand). */
class Fenwick {
  private tree: Int32Array = new Int32Array(1024);

  add(pos: number, delta: number): void {
    if (pos + 1 >= this.tree.length) this.grow(pos + 2);
    for (let i = pos + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  /** number of items at positions < pos */
  prefix(pos: number): number {
    let s = 0;
    for (let i = Math.min(pos, this.tree.length - 1); i > 0; i -= i & -i) s += this.tree[i]!;
    return s;
  }

  private grow(min: number): void {
    let n = this.tree.length;
    while (n < min) n *= 2;
    // Rebuild from point values: recover them from the old tree, then re-add.
    const old = this.tree;
    const values = new Int32Array(old.length);
    for (let i = 1; i < old.length; i++) values[i] = this.prefix(i) - this.prefix(i - 1);
    this.tree = new Int32Array(n);
    for (let i = 1; i < old.length; i++) if (values[i]) this.add(i - 1, values[i]!);
  }
}

export class WaitingQueue {
  private readonly perAdapter: Denque<Request>[];
  private readonly heads = new Heap<number>((a, b) => a - b);
  private readonly backCounts = new Fenwick();
  private readonly frontCounts = new Fenwick();
  private nextBackKey = 0;
  private nextFrontKey = -1;
  private count = 0;
  /** waiting requests per adapter */
  readonly perAdapterCount: Int32Array;

  /** @throws RangeError when `adapters` ≥ 32768 (the schema allows 20,000). */
  constructor(adapters: number) {
    if (adapters >= ADAPTER_RADIX) throw new RangeError(`at most ${ADAPTER_RADIX - 1} adapters`);
    this.perAdapter = Array.from({ length: adapters }, () => new Denque<Request>());
    this.perAdapterCount = new Int32Array(adapters);
  }

  get size(): number {
    return this.count;
  }

  /** Append at the back (a new arrival). */
  pushBack(r: Request): void {
    r.key = this.nextBackKey++;
    this.backCounts.add(r.key, 1);
    const q = this.perAdapter[r.adapter]!;
    q.push(r);
    if (q.length === 1) this.heads.push(r.key * ADAPTER_RADIX + r.adapter);
    this.perAdapterCount[r.adapter]!++;
    this.count++;
  }

  /** Insert at the front (a preempted request, vLLM `waiting.appendleft`). */
  pushFront(r: Request): void {
    r.key = this.nextFrontKey--;
    this.frontCounts.add(-r.key - 1, 1);
    const q = this.perAdapter[r.adapter]!;
    q.unshift(r);
    this.heads.push(r.key * ADAPTER_RADIX + r.adapter);
    this.perAdapterCount[r.adapter]!++;
    this.count++;
  }

  /** First request of the whole queue, or undefined. */
  peekFirst(): Request | undefined {
    for (;;) {
      const top = this.heads.peek();
      if (top === undefined) return undefined;
      const adapter = ((top % ADAPTER_RADIX) + ADAPTER_RADIX) % ADAPTER_RADIX;
      const key = (top - adapter) / ADAPTER_RADIX;
      const head = this.perAdapter[adapter]!.peekFront();
      if (head && head.key === key) return head;
      this.heads.pop(); // stale: that head was removed or superseded
    }
  }

  /** First waiting request of `adapter`, or undefined. */
  headOf(adapter: number): Request | undefined {
    return this.perAdapter[adapter]!.peekFront();
  }

  /** Remove and return the first waiting request of `adapter`. */
  popHead(adapter: number): Request {
    const q = this.perAdapter[adapter]!;
    const r = q.shift();
    if (!r) throw new Error(`no waiting request of adapter ${adapter}`);
    if (r.key >= 0) this.backCounts.add(r.key, -1);
    else this.frontCounts.add(-r.key - 1, -1);
    const next = q.peekFront();
    if (next) this.heads.push(next.key * ADAPTER_RADIX + next.adapter);
    this.perAdapterCount[adapter]!--;
    this.count--;
    return r;
  }

  /** Number of waiting requests ahead of `key` in queue order. */
  countBefore(key: number): number {
    const frontTotal = this.frontCounts.prefix(Number.MAX_SAFE_INTEGER);
    if (key >= 0) return frontTotal + this.backCounts.prefix(key);
    // front keys: -1 is the oldest front insertion; more negative keys are further ahead
    return frontTotal - this.frontCounts.prefix(-key);
  }
}
