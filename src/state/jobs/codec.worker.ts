/** Encodes the scenario into the URL hash off the main thread (lz-string on large scenarios takes 100 ms+). */
import * as Comlink from "comlink";
import { encodeScenarioToHash } from "../../core/scenario/urlCodec";
import type { FleetScenario } from "../../core/scenario/fleet";

const api = {
  encode(s: FleetScenario): string {
    return encodeScenarioToHash(s);
  },
};
export type CodecWorkerApi = typeof api;
Comlink.expose(api);
