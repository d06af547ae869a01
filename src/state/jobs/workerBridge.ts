/**
 * A cancellable, self-healing handle on one Web Worker behind Comlink (in the spirit of
 * squoosh's WorkerBridge):
 * - the worker starts lazily on the first call and shuts down after `idleMs` without work;
 * - cancel = terminate the worker (takes effect at once, whatever it is computing) and
 *   reject the pending calls with a {@link JobCancelledError}; the next call starts a new one;
 * - a worker that throws outside a call, fails to load or dies (e.g. out of memory) rejects its
 *   pending calls with a {@link WorkerCrashedError} and is replaced on the next call.
 */
import * as Comlink from "comlink";

export class JobCancelledError extends Error {
  constructor(message = "cancelled") {
    super(message);
    this.name = "JobCancelledError";
  }
}

export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerCrashedError";
  }
}

export function isCancel(e: unknown): boolean {
  return e instanceof JobCancelledError || (e instanceof Error && e.name === "AbortError");
}

interface Pending {
  reject: (e: unknown) => void;
}

export interface WorkerBridgeOptions {
  /** shut the worker down after this long without a call, ms (default 10 s) */
  idleMs?: number;
  /** a name shown in crash messages */
  name: string;
}

export class WorkerBridge<API extends object> {
  private worker: Worker | null = null;
  private remote: Comlink.Remote<API> | null = null;
  private pending = new Set<Pending>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly idleMs: number;
  readonly name: string;
  /** how many workers this bridge has started (tests and the jobs panel read it) */
  started = 0;

  constructor(
    private readonly factory: () => Worker,
    opts: WorkerBridgeOptions,
  ) {
    this.idleMs = opts.idleMs ?? 10_000;
    this.name = opts.name;
  }

  get alive(): boolean {
    return this.worker !== null;
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  private ensure(): Comlink.Remote<API> {
    if (this.remote) return this.remote;
    const w = this.factory();
    this.started++;
    w.addEventListener("error", (ev: ErrorEvent) => {
      ev.preventDefault();
      this.fail(
        w,
        new WorkerCrashedError(`${this.name} worker crashed: ${ev.message || "script error"}`),
      );
    });
    w.addEventListener("messageerror", () => {
      this.fail(w, new WorkerCrashedError(`${this.name} worker sent an unreadable message`));
    });
    this.worker = w;
    this.remote = Comlink.wrap<API>(w);
    return this.remote;
  }

  private fail(w: Worker, err: Error): void {
    if (this.worker !== w) return;
    this.kill(err);
  }

  private kill(err: Error): void {
    const w = this.worker;
    if (w) {
      try {
        this.remote?.[Comlink.releaseProxy]();
      } catch {
        /* already gone */
      }
      w.terminate();
    }
    this.worker = null;
    this.remote = null;
    const pend = [...this.pending];
    this.pending.clear();
    for (const p of pend) p.reject(err);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /**
   * Run `fn` against the worker. Rejects with JobCancelledError when `signal` aborts or
   * {@link cancel} is called (the worker is terminated), with WorkerCrashedError when it dies.
   */
  run<T>(fn: (api: Comlink.Remote<API>) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new JobCancelledError());
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    const api = this.ensure();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const entry: Pending = {
        reject: (e) => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(e);
        },
      };
      const onAbort = () => this.cancel();
      const cleanup = () => {
        this.pending.delete(entry);
        signal?.removeEventListener("abort", onAbort);
        this.scheduleIdle();
      };
      this.pending.add(entry);
      signal?.addEventListener("abort", onAbort, { once: true });
      fn(api).then(
        (v) => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(e);
        },
      );
    });
  }

  private scheduleIdle(): void {
    if (this.pending.size > 0 || !this.worker) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) this.kill(new JobCancelledError("idle"));
    }, this.idleMs);
  }

  /** Terminate the worker now; pending calls reject with JobCancelledError. */
  cancel(reason = "cancelled"): void {
    this.kill(new JobCancelledError(reason));
  }

  /** Simulate a crash (tests): the worker is terminated and pending calls reject as crashed. */
  crash(message = "terminated unexpectedly"): void {
    this.kill(new WorkerCrashedError(`${this.name} worker crashed: ${message}`));
  }
}

/**
 * Several bridges over the same worker script, for running independent calls in parallel
 * (e.g. twin verification of many GPUs). Cancel terminates all of them.
 */
export class WorkerPool<API extends object> {
  readonly bridges: WorkerBridge<API>[];
  constructor(factory: () => Worker, size: number, opts: WorkerBridgeOptions) {
    this.bridges = Array.from(
      { length: Math.max(1, size) },
      () => new WorkerBridge<API>(factory, opts),
    );
  }

  /** Map `items` over the pool, at most one call per worker at a time, results in order. */
  async map<I, O>(
    items: readonly I[],
    fn: (api: Comlink.Remote<API>, item: I, index: number) => Promise<O>,
    signal?: AbortSignal,
    onDone?: (index: number, out: O) => void,
  ): Promise<O[]> {
    const out = new Array<O>(items.length);
    let next = 0;
    const lane = async (b: WorkerBridge<API>) => {
      while (next < items.length) {
        if (signal?.aborted) throw new JobCancelledError();
        const i = next++;
        const v = await b.run((api) => fn(api, items[i]!, i), signal);
        out[i] = v;
        onDone?.(i, v);
      }
    };
    const lanes = this.bridges.slice(0, Math.max(1, Math.min(this.bridges.length, items.length)));
    try {
      await Promise.all(lanes.map(lane));
    } catch (e) {
      // one lane failed: stop the others so nothing keeps computing in the background
      for (const b of this.bridges) if (b.busy) b.cancel();
      throw e;
    }
    return out;
  }

  cancel(): void {
    for (const b of this.bridges) b.cancel();
  }

  crash(message?: string): void {
    for (const b of this.bridges) if (b.busy) b.crash(message);
  }

  get started(): number {
    return this.bridges.reduce((s, b) => s + b.started, 0);
  }
}
