/**
 * The discrete-event loop of one vLLM 0.8.5 V1 engine (`vllm/v1/core/sched/scheduler.py`,
 * `vllm/v1/engine/core.py`): each iteration is one engine step — schedule, run the forward
 * pass (timed by the latency model), emit tokens.
 *
 * Scheduling, as V1 does it each step, with a token budget of `maxNumBatchedTokens`:
 * 1. Running requests, in admission order, each get `numTokens − numComputed` tokens
 *    (1 while decoding; the rest of the prompt, chunked by the remaining budget). When
 *    the KV cache has no blocks for one, the newest running request is preempted (its
 *    blocks freed, its computed tokens forgotten, put back at the front of the waiting
 *    queue to be recomputed) until it fits or it was the one preempted.
 * 2. If nothing was preempted, waiting requests are admitted in queue order while budget
 *    and `maxNumSeqs` allow and their first chunk fits in the KV cache; once the batch holds
 *    `maxLoras` distinct adapters, requests of other adapters are skipped (they keep their
 *    place) and later ones of batch adapters may still be admitted.
 * A step that completes a prompt or decodes samples one token per request; a request with
 * all `maxOutput` tokens finishes and frees its blocks. Requests unfinished at the end of
 * the window are cancelled and do not count, as in the measured runs.
 *
 * Runs of identical decode-only steps (no waiting request, no arrival, no finish, no block
 * shortage) are advanced in bulk (`skipDecodeRun`).
 */
import type { LatencyCoefficients, LoraShape, StepLoad } from "./latencyModel";
import { cpuToGpuMs, diskToCpuMs, stepMs } from "./latencyModel";
import { KvCache } from "./kvCache";
import { LoraCache } from "./loraCache";
import { FloatList, TimeSeries } from "./metrics";
import { Request, RequestState } from "./request";
import { WaitingQueue } from "./waitingQueue";
import type { TimePoint } from "./types";
import type { RequestSpec, RequestStream } from "../workload/arrivals";

/** One request as the load generator sends it (see the workload module). */
export type ArrivalSpec = RequestSpec;

/**
 * Time-ordered source of requests; `next` fills `out` and returns false when exhausted;
 * `drainRemaining` (optional) counts what is left without materialising it.
 */
export type ArrivalSource = Pick<RequestStream, "next"> &
  Partial<Pick<RequestStream, "drainRemaining">>;

export interface EngineConfig {
  adapters: number;
  /** each adapter's rank (disk load time) */
  adapterRanks: ArrayLike<number>;
  enableLora: boolean;
  maxLoras: number;
  maxCpuLoras: number;
  maxLoraRank: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  kvCacheTokens: number;
  blockSize: number;
  durationS: number;
  /** waiting-queue cap of the client (Infinity: none) */
  maxPendingRequests: number;
  coefficients: LatencyCoefficients;
  loraShape: LoraShape;
  timeSeriesPoints: number;
  /** called after every step (tests check invariants with it) */
  onStep?: (info: StepInfo) => void;
}

/** What one step did (for invariant checks and tracing). */
export interface StepInfo {
  startS: number;
  durationMs: number;
  tokens: number;
  distinctAdapters: number;
  usedBlocks: number;
  totalBlocks: number;
  running: number;
  waiting: number;
  /** waiting requests the scheduler skipped (adapter not in the batch) */
  skipped: number;
  bulkSteps: number;
}

export interface EngineOutput {
  arrived: number;
  arrivedTokens: number;
  finished: number;
  finishedPromptTokens: number;
  finishedOutputTokens: number;
  ttftMs: Float64Array;
  /** Σ over finished requests of their inter-token gaps, ms, and the number of gaps */
  itlSumMs: number;
  itlCount: number;
  /** ITL distribution: (gap ms, how many tokens had it) */
  itlValues: Float64Array;
  itlWeights: Float64Array;
  preemptions: number;
  gpuLoads: number;
  diskLoads: number;
  steps: number;
  runningTimeIntegral: number;
  waitingTimeIntegral: number;
  unfinishedRunning: number;
  unfinishedWaiting: number;
  heldBack: number;
  timeSeries: TimePoint[];
}

/** Run the engine over the window; `source` must yield requests in arrival order. */
export function runEngine(cfg: EngineConfig, source: ArrivalSource): EngineOutput {
  const c = cfg.coefficients;
  const duration = cfg.durationS;
  const kv = new KvCache(Math.floor(cfg.kvCacheTokens / cfg.blockSize), cfg.blockSize);
  const bs = cfg.blockSize;
  const lora = new LoraCache(cfg.maxLoras, cfg.maxCpuLoras, cfg.adapters);
  const waiting = new WaitingQueue(cfg.adapters);
  const series = new TimeSeries(duration, cfg.timeSeriesPoints);
  const cpuToGpu = cpuToGpuMs(c, cfg.maxLoraRank);
  const diskMs = Array.from({ length: cfg.adapters }, (_, a) =>
    diskToCpuMs(c, cfg.adapterRanks[a]!),
  );

  // ---- the running set, struct-of-arrays by slot (the hot loops touch only typed arrays) ----
  const cap = cfg.maxNumSeqs + 1;
  const sReq = new Array<Request | null>(cap).fill(null); // the request a slot holds
  const sPrompt = new Int32Array(cap);
  const sOut = new Int32Array(cap); // tokens generated
  const sMaxOut = new Int32Array(cap);
  const sComputed = new Int32Array(cap); // tokens whose KV is computed
  const sBlocks = new Int32Array(cap); // KV blocks held
  const sAdapter = new Int32Array(cap);
  const sScheduled = new Int32Array(cap); // tokens scheduled this step
  const sFirst = new Float64Array(cap); // first token time, s (-1: none)
  const sLast = new Float64Array(cap); // latest token time, s
  const sEnq = new Float64Array(cap); // time it entered the waiting queue, s
  const freeSlots = new Int32Array(cap);
  let freeN = cap;
  for (let i = 0; i < cap; i++) freeSlots[i] = cap - 1 - i;
  let order = new Int32Array(cap); // slots in running (admission) order
  let runN = 0;
  let nextOrder = new Int32Array(cap);
  let nextN: number;
  const sched = new Int32Array(cap); // slots scheduled this step, in schedule order
  let schedN = 0;

  // per-adapter scratch, stamped with the step number to avoid clearing
  const adapterStamp = new Int32Array(cfg.adapters).fill(-1);
  const adapterTokens = new Int32Array(cfg.adapters);
  const batchAdapters: number[] = [];
  const diskLoaded: number[] = [];
  let stepNo = 0;

  const ttft = new FloatList(4096);
  const itlValues = new FloatList(4096);
  const itlWeights = new FloatList(4096);
  const load: StepLoad = {
    tokens: 0,
    decodes: 0,
    kvTokens: 0,
    prefillAttn: 0,
    prefills: 0,
    adapters: 0,
    sumCeil32: 0,
    sumCeil64: 0,
    skipped: 0,
  };

  const out: EngineOutput = {
    arrived: 0,
    arrivedTokens: 0,
    finished: 0,
    finishedPromptTokens: 0,
    finishedOutputTokens: 0,
    ttftMs: new Float64Array(0),
    itlSumMs: 0,
    itlCount: 0,
    itlValues: new Float64Array(0),
    itlWeights: new Float64Array(0),
    preemptions: 0,
    gpuLoads: 0,
    diskLoads: 0,
    steps: 0,
    runningTimeIntegral: 0,
    waitingTimeIntegral: 0,
    unfinishedRunning: 0,
    unfinishedWaiting: 0,
    heldBack: 0,
    timeSeries: [],
  };

  const spec: ArrivalSpec = { arrivalS: 0, adapter: 0, prompt: 0, output: 0 };
  let hasNext = pull();
  let nextId = 0;
  let lateFinishes = 0;
  let capBlocked = false;

  function pull(): boolean {
    const ok = source.next(spec) && spec.arrivalS < duration;
    if (ok) {
      out.arrived++;
      out.arrivedTokens += spec.prompt + spec.output;
    }
    return ok;
  }

  /** Move arrivals up to `now` into the waiting queue, up to the client's cap. */
  function admitArrivals(now: number): void {
    while (hasNext && spec.arrivalS <= now) {
      if (waiting.size >= cfg.maxPendingRequests) {
        capBlocked = true;
        return;
      }
      const r = new Request(nextId++, spec.adapter, spec.arrivalS, spec.prompt, spec.output);
      // A held-back request is sent when the queue drains: its latency clock starts then.
      r.enqueuedS = capBlocked ? now : spec.arrivalS;
      waiting.pushBack(r);
      hasNext = pull();
    }
    capBlocked = false;
  }

  /**
   * Grow slot `s` by `tokens` computed tokens: true (taking any new blocks) when the free pool
   * has them, false (changing nothing) otherwise — vLLM then preempts.
   */
  function allocate(s: number, tokens: number): boolean {
    const total = sComputed[s]! + tokens;
    const held = sBlocks[s]!;
    if (total <= held * bs) return true;
    const needed = Math.ceil(total / bs) - held;
    if (needed > kv.freeBlocks) return false;
    kv.take(needed);
    sBlocks[s] = held + needed;
    return true;
  }

  /** Put a waiting request into a free slot (its KV starts empty: recompute on preemption). */
  function admit(r: Request): number {
    const s = freeSlots[--freeN]!;
    sReq[s] = r;
    sPrompt[s] = r.prompt;
    sOut[s] = r.numOutput;
    sMaxOut[s] = r.maxOutput;
    sComputed[s] = 0;
    sBlocks[s] = 0;
    sAdapter[s] = r.adapter;
    sFirst[s] = r.firstTokenS;
    sLast[s] = r.lastTokenS;
    sEnq[s] = r.enqueuedS;
    r.state = RequestState.Running;
    return s;
  }

  function release(s: number): void {
    kv.give(sBlocks[s]!);
    sBlocks[s] = 0;
    sReq[s] = null;
    freeSlots[freeN++] = s;
  }

  /** Preempt by recompute: back to the front of the waiting queue, KV forgotten. */
  function preempt(s: number): void {
    const r = sReq[s]!;
    r.numOutput = sOut[s]!;
    r.firstTokenS = sFirst[s]!;
    r.lastTokenS = sLast[s]!;
    r.numComputed = 0;
    r.state = RequestState.Waiting;
    r.preemptions++;
    out.preemptions++;
    release(s);
    waiting.pushFront(r);
  }

  function recordFinished(s: number): void {
    out.finished++;
    out.finishedPromptTokens += sPrompt[s]!;
    out.finishedOutputTokens += sOut[s]!;
    ttft.push((sFirst[s]! - sEnq[s]!) * 1000);
    if (sOut[s]! > 1) {
      out.itlSumMs += (sLast[s]! - sFirst[s]!) * 1000;
      out.itlCount += sOut[s]! - 1;
    }
  }

  // what the current step contains, tallied while scheduling
  let budget = 0;
  let tokens = 0;
  let decodes = 0;
  let kvTokens = 0;
  let prefillAttn = 0;
  let prefills = 0;
  function tally(s: number, n: number): void {
    tokens += n;
    const computed = sComputed[s]!;
    if (sOut[s]! > 0 && computed === sPrompt[s]! + sOut[s]! - 1) {
      decodes++;
      kvTokens += computed + 1;
    } else {
      prefillAttn += n * (computed + n / 2);
      prefills++;
    }
    const a = sAdapter[s]!;
    if (adapterStamp[a] !== stepNo) {
      adapterStamp[a] = stepNo;
      adapterTokens[a] = n;
      batchAdapters.push(a);
    } else adapterTokens[a]! += n;
    sScheduled[s] = n;
    sched[schedN++] = s;
    budget -= n;
  }

  let now = 0;
  while (now < duration) {
    admitArrivals(now);
    if (runN === 0 && waiting.size === 0) {
      if (!hasNext) break;
      series.advance(spec.arrivalS, 0, 0, 0);
      now = spec.arrivalS; // idle until the next request
      continue;
    }

    if (waiting.size === 0 && runN > 0) {
      const bulk = skipDecodeRun(now);
      if (bulk > 0) continue;
    }

    // ---- schedule (and tally what the step contains as we go) ----
    stepNo++;
    schedN = 0;
    batchAdapters.length = 0;
    budget = cfg.maxNumBatchedTokens;
    let preempted = false;
    tokens = 0;
    decodes = 0;
    kvTokens = 0;
    prefillAttn = 0;
    prefills = 0;
    let allRunningScheduled = true;
    for (let i = 0; i < runN; i++) {
      if (budget <= 0) {
        allRunningScheduled = false;
        break;
      }
      const s = order[i]!;
      if (
        cfg.enableLora &&
        batchAdapters.length >= cfg.maxLoras &&
        adapterStamp[sAdapter[s]!] !== stepNo
      ) {
        allRunningScheduled = false;
        continue; // cannot join this step's batch (only when the budget cut earlier steps short)
      }
      const n = Math.min(sPrompt[s]! + sOut[s]! - sComputed[s]!, budget);
      let ok = true;
      while (!allocate(s, n)) {
        // preempt the newest running request (never one already scheduled: they come first)
        const victim = order[--runN]!;
        preempt(victim);
        preempted = true;
        if (victim === s) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
      tally(s, n);
    }

    let skipped = 0;
    if (!preempted) {
      let stopKey = Number.NaN;
      let scannedToEnd = false;
      while (budget > 0 && runN < cfg.maxNumSeqs && waiting.size > 0) {
        let cand: Request | undefined;
        if (!cfg.enableLora || batchAdapters.length < cfg.maxLoras) {
          cand = waiting.peekFirst();
        } else {
          for (let j = 0; j < batchAdapters.length; j++) {
            const h = waiting.headOf(batchAdapters[j]!);
            if (h && (!cand || h.key < cand.key)) cand = h;
          }
          if (!cand) {
            scannedToEnd = true;
            break;
          }
        }
        const r = cand!;
        const n = Math.min(r.prompt + r.numOutput - r.numComputed, budget);
        if (Math.ceil(n / bs) > kv.freeBlocks) {
          stopKey = r.key;
          break;
        }
        waiting.popHead(r.adapter);
        const s = admit(r);
        allocate(s, n);
        order[runN++] = s;
        tally(s, n);
        stopKey = r.key;
      }
      if (cfg.enableLora && batchAdapters.length >= cfg.maxLoras) {
        if (scannedToEnd) skipped = waiting.size;
        else if (!Number.isNaN(stopKey)) skipped = waiting.countBefore(stopKey);
      }
    }

    if (schedN === 0) {
      // Nothing could run (cannot happen with valid limits); avoid a livelock.
      if (!hasNext) break;
      now = Math.max(now, spec.arrivalS);
      continue;
    }

    // ---- time the step ----
    let loadMs = 0;
    let sumCeil32 = 0;
    let sumCeil64 = 0;
    if (cfg.enableLora) {
      for (let j = 0; j < batchAdapters.length; j++) {
        const t = adapterTokens[batchAdapters[j]!]!;
        sumCeil32 += Math.ceil(t / 32);
        sumCeil64 += Math.ceil(t / 64);
      }
      loadMs += lora.applyBatch(batchAdapters, diskLoaded) * cpuToGpu;
      for (let j = 0; j < diskLoaded.length; j++) loadMs += diskMs[diskLoaded[j]!]!;
    }
    load.tokens = tokens;
    load.decodes = decodes;
    load.kvTokens = kvTokens;
    load.prefillAttn = prefillAttn;
    load.prefills = prefills;
    load.adapters = cfg.enableLora ? batchAdapters.length : 0;
    load.sumCeil32 = sumCeil32;
    load.sumCeil64 = sumCeil64;
    load.skipped = skipped;
    const dtMs = stepMs(c, cfg.loraShape, cfg.maxLoras, cfg.maxLoraRank, load) + loadMs;
    const start = now;
    now += dtMs / 1000;
    out.steps++;
    out.runningTimeIntegral += runN * (dtMs / 1000);
    out.waitingTimeIntegral += waiting.size * (dtMs / 1000);
    series.addTokens(tokens);

    // ---- apply: advance tokens, sample, finish; rebuild the running order ----
    // When every running request was scheduled, the running order is exactly `sched` (running
    // ones first, then the admitted ones) and is rebuilt here; otherwise filtered below.
    const rebuildHere = allRunningScheduled;
    nextN = 0;
    let sameGapTokens = 0;
    for (let i = 0; i < schedN; i++) {
      const s = sched[i]!;
      const computed = sComputed[s]! + sScheduled[s]!;
      sComputed[s] = computed;
      const generated = sOut[s]!;
      if (computed < sPrompt[s]! + generated) {
        if (rebuildHere) nextOrder[nextN++] = s;
        continue; // partial prefill: no token yet
      }
      sOut[s] = generated + 1;
      if (sFirst[s]! < 0) sFirst[s] = now;
      else if (sLast[s] === start)
        sameGapTokens++; // its previous token ended the last step
      else {
        itlValues.push((now - sLast[s]!) * 1000);
        itlWeights.push(1);
      }
      sLast[s] = now;
      if (generated + 1 >= sMaxOut[s]!) {
        sReq[s]!.state = RequestState.Finished;
        if (now <= duration) recordFinished(s);
        else lateFinishes++; // done after the window closed: cancelled, like the measured runs
        release(s);
      } else if (rebuildHere) nextOrder[nextN++] = s;
    }
    if (sameGapTokens > 0) {
      itlValues.push(dtMs);
      itlWeights.push(sameGapTokens);
    }
    if (!rebuildHere) {
      for (let i = 0; i < runN; i++) {
        const s = order[i]!;
        if (sReq[s] !== null) nextOrder[nextN++] = s;
      }
    }
    const tmp = order;
    order = nextOrder;
    nextOrder = tmp;
    runN = nextN;
    series.advance(now, waiting.size, runN, kv.usedBlocks / kv.totalBlocks);
    cfg.onStep?.({
      startS: start,
      durationMs: dtMs,
      tokens,
      distinctAdapters: batchAdapters.length,
      usedBlocks: kv.usedBlocks,
      totalBlocks: kv.totalBlocks,
      running: runN,
      waiting: waiting.size,
      skipped,
      bulkSteps: 1,
    });
  }

  /**
   * Advance a run of decode-only steps in bulk. Preconditions: nothing waiting. Every
   * running request decodes (no partial prefill), so each step schedules the same batch
   * with one more KV token per request. Stops before the first step that would finish a
   * request, start at or after the next arrival or the window end, or lack KV blocks.
   * Returns the number of steps advanced (0: take a normal step).
   */
  function skipDecodeRun(startS: number): number {
    const n = runN;
    let minRemaining = Infinity;
    let kvSum = 0;
    for (let i = 0; i < n; i++) {
      const s = order[i]!;
      if (sOut[s]! === 0 || sComputed[s]! !== sPrompt[s]! + sOut[s]! - 1) return 0;
      if (cfg.enableLora && !lora.isOnGpu(sAdapter[s]!)) return 0;
      minRemaining = Math.min(minRemaining, sMaxOut[s]! - sOut[s]!);
      kvSum += sComputed[s]! + 1;
    }
    let maxSteps = minRemaining - 1; // the finishing step is taken normally
    if (maxSteps < 2) return 0;
    // distinct adapters and their token counts are those of the previous step
    stepNo++;
    batchAdapters.length = 0;
    for (let i = 0; i < n; i++) {
      const a = sAdapter[order[i]!]!;
      if (adapterStamp[a] !== stepNo) {
        adapterStamp[a] = stepNo;
        adapterTokens[a] = 1;
        batchAdapters.push(a);
      } else adapterTokens[a]!++;
    }
    if (cfg.enableLora && batchAdapters.length > cfg.maxLoras) return 0;
    let sumCeil32 = 0;
    let sumCeil64 = 0;
    for (const a of batchAdapters) {
      sumCeil32 += Math.ceil(adapterTokens[a]! / 32);
      sumCeil64 += Math.ceil(adapterTokens[a]! / 64);
    }
    load.tokens = n;
    load.decodes = n;
    load.kvTokens = kvSum;
    load.prefillAttn = 0;
    load.prefills = 0;
    load.adapters = cfg.enableLora ? batchAdapters.length : 0;
    load.sumCeil32 = sumCeil32;
    load.sumCeil64 = sumCeil64;
    load.skipped = 0;
    const t0 = stepMs(c, cfg.loraShape, cfg.maxLoras, cfg.maxLoraRank, load);
    const dPerStep = c.step.perKvTokenMs * n; // each step adds n KV tokens
    // KV blocks: shrink the run until every request's growth fits in the free pool.
    const fits = (k: number) => {
      let need = 0;
      for (let i = 0; i < n; i++) {
        const s = order[i]!;
        need += Math.max(0, Math.ceil((sComputed[s]! + k) / bs) - sBlocks[s]!);
      }
      return need <= kv.freeBlocks;
    };
    while (maxSteps >= 2 && !fits(maxSteps)) maxSteps = Math.floor(maxSteps / 2);
    if (maxSteps < 2) return 0;
    // Steps must start before the next arrival and the window end.
    const horizon = Math.min(hasNext ? spec.arrivalS : Infinity, duration);
    let k = 0;
    let t = startS;
    let totalMs = 0;
    while (k < maxSteps && t < horizon) {
      const dt = t0 + dPerStep * k;
      itlValues.push(dt);
      itlWeights.push(n);
      totalMs += dt;
      t = startS + totalMs / 1000;
      k++;
      series.addTokens(n);
      series.advance(t, 0, n, kv.usedBlocks / kv.totalBlocks);
    }
    if (k === 0) return 0;
    for (let i = 0; i < n; i++) {
      const s = order[i]!;
      sComputed[s] = sComputed[s]! + k;
      sOut[s] = sOut[s]! + k;
      sLast[s] = t;
      // exactly the blocks the run needed (checked by `fits`)
      const needed = Math.ceil(sComputed[s]! / bs) - sBlocks[s]!;
      if (needed > 0) {
        kv.take(needed);
        sBlocks[s] = sBlocks[s]! + needed;
      }
    }
    out.steps += k;
    out.runningTimeIntegral += n * (totalMs / 1000);
    cfg.onStep?.({
      startS,
      durationMs: totalMs,
      tokens: n,
      distinctAdapters: batchAdapters.length,
      usedBlocks: kv.usedBlocks,
      totalBlocks: kv.totalBlocks,
      running: n,
      waiting: 0,
      skipped: 0,
      bulkSteps: k,
    });
    now = t;
    return k;
  }

  // ---- end of window: count what is left ----
  // Requests that arrived during the last step reach the waiting queue (unless capped).
  admitArrivals(duration);
  out.unfinishedRunning = runN + lateFinishes;
  out.unfinishedWaiting = waiting.size;
  if (hasNext) {
    // spec holds one more arrival inside the window (already counted by pull)
    out.heldBack++;
    if (source.drainRemaining) {
      const rest = source.drainRemaining();
      out.heldBack += rest.requests;
      out.arrived += rest.requests;
      out.arrivedTokens += rest.tokens;
    } else while (pull()) out.heldBack++;
  }
  series.advance(duration, waiting.size, runN, kv.usedBlocks / kv.totalBlocks);
  out.ttftMs = ttft.view();
  out.itlValues = itlValues.view();
  out.itlWeights = itlWeights.view();
  out.gpuLoads = lora.gpuLoads;
  out.diskLoads = lora.diskLoads;
  out.timeSeries = series.points;
  return out;
}
