// Bootstrap of the sample worker thread: register tsx's loader in this thread, then load the
// TypeScript worker (worker_threads do not inherit the parent's loader hooks).
import { register } from "tsx/esm/api";

register();
await import("./sample-worker.ts");
