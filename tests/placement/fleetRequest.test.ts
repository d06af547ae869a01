import { describe, expect, it } from "vitest";
import { parseFleetFile, parseFleetRequest } from "../../src/core/placement/fleetSchema";

describe("parseFleetRequest (worker boundary)", () => {
  const ok = {
    model: "llama-3.1-8b-instruct",
    gpuTypes: [{ gpu: "h100-64gb" }],
    workload: {
      adapters: [
        { id: "a", rank: 8, rateRps: 1 },
        { id: "b", rank: 16, rateRps: 2 },
      ],
      trace: { arrivalS: [0, 1], adapter: [0, 1], promptTokens: [10, 20], outputTokens: [5, 5] },
    },
  };
  it("accepts a request with a trace replay and fills the workload defaults", () => {
    const r = parseFleetRequest(ok);
    expect(r.workload.durationS).toBe(3600);
    expect(r.workload.trace!.adapter).toEqual([0, 1]);
  });
  it("names the field of a bad message", () => {
    const bad = (patch: object, re: RegExp) =>
      expect(() => parseFleetRequest({ ...ok, ...patch })).toThrow(re);
    bad({ model: "gpt-5" }, /^model: must be one of/);
    bad({ gpuTypes: [] }, /^gpuTypes: must have at least 1 entries/);
    bad(
      { gpuTypes: [{ gpu: "h100-64gb" }, { gpu: "h100-64gb" }] },
      /^gpuTypes\[1\]\.gpu: "h100-64gb" is listed twice/,
    );
    bad(
      { workload: { ...ok.workload, trace: { ...ok.workload.trace, adapter: [0, 5] } } },
      /^workload\.trace\.adapter\[1\]: adapter index 5 is out of range/,
    );
    bad({ objective: { ttftP99Ms: -1 } }, /^objective/);
    expect(() => parseFleetRequest("nope")).toThrow(/^request: must be an object/);
    expect(() => parseFleetFile(5)).toThrow(/^fleet: must be an object/);
    expect(() =>
      parseFleetFile({
        model: ok.model,
        gpuTypes: ok.gpuTypes,
        workload: { adapters: [] },
        extra: 1,
      }),
    ).toThrow(/^fleet: unknown field "extra"; allowed: version, model/);
  });
});
