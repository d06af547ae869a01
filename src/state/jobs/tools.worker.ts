/**
 * UI tools worker: trace import (read + parse + map a CSV off the main thread). Inputs are
 * validated by the core parsers.
 */
import * as Comlink from "comlink";
import { fitLengthProfile, mapTraceToAdapters, parseTraceCsv } from "../../core/workload/trace";
import type { TraceImportOptions, TraceImportResult } from "./traceTypes";

export interface ToolsWorkerApi {
  importTrace(
    file: Blob | string,
    opts: TraceImportOptions,
    onProgress?: (f: number, msg: string) => void,
  ): Promise<TraceImportResult>;
  crashForTest(): void;
}

const LENGTH_SAMPLES = 256;

const api: ToolsWorkerApi = {
  async importTrace(file, opts, onProgress) {
    onProgress?.(0.05, "reading file");
    const text = typeof file === "string" ? file : await file.text();
    onProgress?.(0.2, "parsing CSV");
    const parsed = parseTraceCsv(text);
    if (parsed.requests.arrivalS.length === 0) {
      const why = parsed.skipped.firstMessages.slice(0, 3).join("; ");
      throw new Error(`the trace has no usable rows${why ? ` (${why})` : ""}`);
    }
    onProgress?.(0.7, "mapping requests to adapters");
    const mapping = mapTraceToAdapters(parsed, {
      adapters: opts.adapters,
      popularity: { kind: "zipf", alpha: opts.zipfAlpha },
      ranks: opts.ranks,
      rateScale: opts.rateScale,
      seed: opts.seed,
      idPrefix: opts.idPrefix,
    });
    const lengths = fitLengthProfile(parsed, LENGTH_SAMPLES);
    onProgress?.(1, "done");
    return {
      adapters: mapping.adapters,
      lengths,
      durationS: mapping.durationS,
      format: parsed.format,
      rows: parsed.rows,
      accepted: parsed.requests.arrivalS.length,
      skipped: parsed.skipped.count,
      skippedMessages: parsed.skipped.firstMessages,
      lengthSamples: lengths.profile === "empirical" ? lengths.promptTokens.length : 0,
    };
  },
  crashForTest() {
    setTimeout(() => {
      throw new Error("simulated crash");
    }, 0);
  },
};

Comlink.expose(api);
