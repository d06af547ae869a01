/**
 * One request inside the twin, with vLLM V1's token accounting
 * (`vllm/v1/request.py`): `numTokens = prompt + generated`, `numComputed` = tokens whose
 * KV is in the cache. A running request schedules `numTokens − numComputed` tokens per
 * step (its remaining prompt, chunked by the step's budget, or 1 while decoding). A step
 * that completes the prompt, or decodes, samples one token.
 */
export const RequestState = {
  /** in the engine's waiting queue (new, or preempted) */
  Waiting: 0,
  /** in the running batch */
  Running: 1,
  /** generated all its tokens */
  Finished: 2,
} as const;
export type RequestState = (typeof RequestState)[keyof typeof RequestState];

export class Request {
  /** position in arrival order, from 0 */
  readonly id: number;
  /** index of the adapter in `workload.adapters` */
  readonly adapter: number;
  /** time the client sent it, s */
  readonly arrivalS: number;
  /** time it entered the engine's waiting queue, s (later than arrival when held back) */
  enqueuedS = 0;
  /** prompt tokens */
  readonly prompt: number;
  /** tokens to generate (`max_tokens`) */
  readonly maxOutput: number;
  /** tokens generated so far */
  numOutput = 0;
  /** tokens whose KV is computed */
  numComputed = 0;
  /** KV blocks held */
  blocks = 0;
  /** time of the first generated token, s (−1: none yet) */
  firstTokenS = -1;
  /** time of the latest generated token, s */
  lastTokenS = -1;
  /** order key in the waiting queue (smaller is earlier) */
  key = 0;
  state: RequestState = RequestState.Waiting;
  /** times it was preempted */
  preemptions = 0;
  /** tokens scheduled for it in the current step */
  scheduled = 0;

  constructor(id: number, adapter: number, arrivalS: number, prompt: number, maxOutput: number) {
    this.id = id;
    this.adapter = adapter;
    this.arrivalS = arrivalS;
    this.prompt = prompt;
    this.maxOutput = maxOutput;
  }

  /** prompt + generated tokens */
  get numTokens(): number {
    return this.prompt + this.numOutput;
  }
}
