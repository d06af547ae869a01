import type { Adapter, LengthProfile } from "../../core/scenario/schema";

export interface TraceImportOptions {
  /** adapters to spread the requests over */
  adapters: number;
  /** LoRA ranks cycled over the adapters */
  ranks: number[];
  zipfAlpha: number;
  rateScale: number;
  seed: number;
  idPrefix: string;
}

export interface TraceImportResult {
  adapters: Adapter[];
  lengths: LengthProfile;
  durationS: number;
  format: "azure" | "processed";
  rows: number;
  accepted: number;
  skipped: number;
  /** first skipped rows' messages (contain file contents: render as text only) */
  skippedMessages: string[];
  lengthSamples: number;
}
