// Window end: a request whose last token lands in the step that crosses the end of the window is
// cancelled (counted unfinished, running), and one arriving during the last step is waiting.
import { expect, it } from "vitest";
import { loadScenario } from "../src/core/scenario/resolve";
import { simulate } from "../src/core/twin/simulate";

const scen = (durationS: number) =>
  loadScenario({
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: { maxLoras: 1, maxLoraRank: 8 },
    workload: {
      durationS,
      adapters: [{ id: "x", rank: 8, rateRps: 1 }],
      trace: { arrivalS: [0], adapter: [0], promptTokens: [100], outputTokens: [200] },
    },
  });

it("counts a request that finishes just after the window end as unfinished (running)", () => {
  const long = simulate(scen(60));
  expect(long.finishedRequests).toBe(1);
  // the request's last token: first token + 199 inter-token gaps
  const finishS = (long.ttftMs.mean + 199 * long.itlMs.mean) / 1000;
  const r = simulate(scen(finishS - 0.001)); // the window ends 1 ms before the last token
  expect(r.arrivedRequests).toBe(1);
  expect(r.finishedRequests).toBe(0);
  expect(r.finishedRequests + r.unfinished.running + r.unfinished.waiting + r.unfinished.heldBack).toBe(1);
});

it("counts a request that arrives during the last step as waiting, not held back (no client cap)", () => {
  const s = loadScenario({
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: { maxLoras: 1, maxLoraRank: 8 },
    workload: {
      durationS: 1,
      adapters: [{ id: "x", rank: 8, rateRps: 1 }],
      trace: { arrivalS: [0, 0.99999], adapter: [0, 0], promptTokens: [100, 100], outputTokens: [1000, 10] },
    },
  });
  const r = simulate(s);
  expect(r.arrivedRequests).toBe(2);
  expect(r.unfinished.heldBack).toBe(0); // maxPendingRequests is unlimited: nothing is held back
  expect(r.unfinished.running + r.unfinished.waiting).toBe(2);
});
