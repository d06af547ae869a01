/**
 * worker_threads entry of the Node sample runner: runs design samples with the twin.
 * Messages in: {id, task}; out: {id, row} or {id, error}.
 */
import { parentPort } from "node:worker_threads";
import { runSample, type SampleTask } from "../../src/core/surrogate/dataset";

if (!parentPort) throw new Error("sample-worker must run in a worker thread");
const port = parentPort;
port.on("message", (msg: { id: number; task: SampleTask }) => {
  try {
    port.postMessage({ id: msg.id, row: runSample(msg.task) });
  } catch (err) {
    port.postMessage({
      id: msg.id,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
});
