/**
 * `npm run surrogate:train -- --model <id> --gpu <id> [--samples N] [--seed S] [--threads T]
 *   [--epochs E] [--members K] [--out <dir>] [--no-cache]`
 * `npm run surrogate:all [-- --samples N ...]` (= `--all`: every shipped pair, one after the other)
 *
 * The whole pipeline: generate each pair's design samples with the twin on worker threads
 * (cached under bench/out/surrogate/datasets by twin fingerprint), train K networks (seeds
 * 1…K, default {@link DEFAULT_TRAIN.members}) on the pairs' pooled samples on the wasm backend
 * (cpu if wasm fails); when K > 1, let their average (`ensemble.ts`) label design scenarios
 * the twin never ran and train ONE network of a member's size on both (`distill.ts`); write `model.json`,
 * `weights.bin` and `normalisation.json` to `public/models/<model>__<gpu>/` of each pair.
 * Pooling lets the pairs with a few hundred samples learn from the others: the features carry
 * the GPU and model descriptors and the physics (held-out numbers in the README). Deterministic:
 * re-running with the same twin writes byte-identical files. `--epochs` sets each member's
 * epochs; the student's, its teacher rows and their design seed are `DEFAULT_TRAIN.distillation`.
 */
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GPU_IDS, MODEL_IDS, type GpuId, type ModelId } from "../../src/core/catalog/ids";
import { initBackend } from "../../src/core/surrogate/backend";
import { writeArtifacts } from "../../src/core/surrogate/node";
import { teacherLabelledRows } from "../../src/core/surrogate/distill";
import { mergeEnsemble } from "../../src/core/surrogate/ensemble";
import { createSurrogateEstimator } from "../../src/core/surrogate/estimator";
import {
  MODEL_FILES,
  modelDirName,
  Surrogate,
  type SurrogateArtifacts,
} from "../../src/core/surrogate/runtime";
import { loadOrGenerateQueryRows } from "./planner-queries";
import { trainSurrogate } from "../../src/core/surrogate/train";
import { loadOrGenerate, poolDatasets, ROOT, twinFingerprint, type CachedDataset } from "./common";
import { DEFAULT_TRAIN, HELDOUT_SEED, SHIPPED_PAIRS, samplesFor } from "./config";

interface Args {
  pairs: (readonly [ModelId, GpuId])[];
  samples?: number;
  seed: number;
  threads?: number;
  epochs: number;
  members: number;
  out: string;
  cache: boolean;
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: npm run surrogate:train -- --model <id> --gpu <id> [--samples N] [--seed S] [--threads T] [--epochs E] [--members K] [--out <dir>] [--no-cache]\n` +
      `       npm run surrogate:all [-- --samples N ...]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  let model: string | undefined;
  let gpu: string | undefined;
  let all = false;
  const a: Args = {
    pairs: [],
    seed: DEFAULT_TRAIN.designSeed,
    epochs: DEFAULT_TRAIN.epochs,
    members: DEFAULT_TRAIN.members,
    out: join(ROOT, "public", "models"),
    cache: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => argv[++i] ?? usage(`${k} needs a value`);
    const int = (s: string, min: number) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < min) usage(`${k} must be an integer >= ${min}, got ${s}`);
      return n;
    };
    if (k === "--model") model = v();
    else if (k === "--gpu") gpu = v();
    else if (k === "--all") all = true;
    else if (k === "--samples") a.samples = int(v(), 20);
    else if (k === "--seed") a.seed = int(v(), 0);
    else if (k === "--threads") a.threads = int(v(), 1);
    else if (k === "--epochs") a.epochs = int(v(), 1);
    else if (k === "--members") a.members = int(v(), 1);
    else if (k === "--out") a.out = v();
    else if (k === "--no-cache") a.cache = false;
    else usage(`unknown argument ${k}`);
  }
  if (all) {
    if (model || gpu) usage("--all takes no --model/--gpu");
    a.pairs = [...SHIPPED_PAIRS];
  } else {
    if (!model || !(MODEL_IDS as readonly string[]).includes(model))
      usage(`--model must be one of ${MODEL_IDS.join(", ")}`);
    if (!gpu || !(GPU_IDS as readonly string[]).includes(gpu))
      usage(`--gpu must be one of ${GPU_IDS.join(", ")}`);
    a.pairs = [[model as ModelId, gpu as GpuId]];
  }
  return a;
}

const log = (line: string) => process.stdout.write(line + "\n");

/** Short hash of a network's weights (names what planned the query rows in their cache). */
function weightsKey(a: SurrogateArtifacts): string {
  return createHash("sha1").update(new Uint8Array(a.weights)).digest("hex").slice(0, 12);
}

/**
 * Where the merged ensemble of this run is cached (bench/out/surrogate/teacher__<key>/): the
 * key hashes the twin fingerprint, the pooled datasets' specs and the training settings, so a
 * run that only changes the student (distillation, query rows) skips the members' training.
 */
function teacherCachePath(pooled: CachedDataset, args: Args): string {
  const key = createHash("sha1")
    .update(
      JSON.stringify({
        twin: pooled.twinFingerprint,
        rows: pooled.rows.length,
        spec: pooled.spec,
        pairs: args.pairs,
        seed: args.seed,
        epochs: args.epochs,
        members: args.members,
        options: DEFAULT_TRAIN.options,
      }),
    )
    .digest("hex")
    .slice(0, 12);
  return join(ROOT, "bench", "out", "surrogate", `teacher__${key}`);
}

/** The artifacts written by {@link writeArtifacts} in `dir`. */
async function readArtifacts(dir: string): Promise<SurrogateArtifacts> {
  const buf = readFileSync(join(dir, MODEL_FILES.weights));
  return {
    modelJson: JSON.parse(
      readFileSync(join(dir, MODEL_FILES.model), "utf8"),
    ) as SurrogateArtifacts["modelJson"],
    weights: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
    meta: JSON.parse(
      readFileSync(join(dir, MODEL_FILES.meta), "utf8"),
    ) as SurrogateArtifacts["meta"],
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  tf.enableProdMode();
  const choice = await initBackend({ candidates: ["wasm", "cpu"] });
  const fingerprint = twinFingerprint();
  log(
    `surrogate: twin ${fingerprint}, backend ${choice.backend}, ${args.samples ?? "default"} samples per pair`,
  );
  const t0 = performance.now();
  const sets: CachedDataset[] = [];
  for (const [model, gpu] of args.pairs) {
    const tp = performance.now();
    log(`${model} on ${gpu}: generating (design seed ${args.seed})`);
    const ds = await loadOrGenerate(
      { model, gpu, samples: args.samples ?? samplesFor(gpu), seed: args.seed },
      { threads: args.threads, log, cache: args.cache },
    );
    const gen = (performance.now() - tp) / 1000;
    log(
      `  data: ${ds.rows.length} rows, twin ${(ds.twinMs / 1000).toFixed(0)} s (${gen.toFixed(0)} s wall)`,
    );
    sets.push(ds);
  }
  // One network for all the pairs asked (their samples pooled; the hardware and model
  // descriptors and the physics features tell the pairs apart), written into each pair's
  // directory under that pair's name.
  const pooled = poolDatasets(sets);
  log(`training on ${pooled.rows.length} rows of ${sets.length} pair(s)`);
  const trainOne = async (data: CachedDataset, seed: number, epochs: number, name: string) => {
    let lastLog = 0;
    const r = await trainSurrogate(data, {
      ...DEFAULT_TRAIN.options,
      seed,
      epochs,
      twinFingerprint: pooled.twinFingerprint,
      onProgress: (p) => {
        if (p.elapsedMs - lastLog > 20_000 || p.epoch === p.epochs) {
          lastLog = p.elapsedMs;
          log(
            `  ${name} (seed ${seed}), epoch ${p.epoch}/${p.epochs}: train ${p.trainLoss.toFixed(4)}, validation ${p.valLoss.toFixed(4)} (best ${p.bestValLoss.toFixed(4)})`,
          );
        }
      },
    });
    const v = r.validation;
    log(
      `  ${name} trained in ${(r.wallMs / 1000).toFixed(0)} s on ${r.backend} (best epoch ${r.bestEpoch}); its validation split (${v.rows} rows): ` +
        `throughput SMAPE ${v.throughputSmape.toFixed(2)}%, ITL SMAPE ${v.itlMeanSmape.toFixed(2)}%, starvation F1 ${v.starvedF1.toFixed(3)}`,
    );
    r.surrogate.dispose();
    return r.artifacts;
  };
  const teacherPath = teacherCachePath(pooled, args);
  const members: SurrogateArtifacts[] = [];
  let teacherArtifacts: SurrogateArtifacts | undefined;
  if (args.members > 1 && args.cache && existsSync(join(teacherPath, "model.json"))) {
    teacherArtifacts = await readArtifacts(teacherPath);
    log(`  ensemble teacher of ${args.members} members read from ${teacherPath}`);
  } else {
    for (let k = 0; k < args.members; k++) {
      const seed = DEFAULT_TRAIN.options.seed + k;
      members.push(await trainOne(pooled, seed, args.epochs, `member ${k + 1}/${args.members}`));
    }
    if (args.members > 1) {
      teacherArtifacts = await mergeEnsemble(members);
      if (args.cache) await writeArtifacts(teacherPath, teacherArtifacts);
    }
  }
  let artifacts = members[0]!;
  if (teacherArtifacts) {
    // The members' average labels design scenarios the twin never ran; one network of a
    // member's size learns from the twin's rows and those (distill.ts).
    const d = DEFAULT_TRAIN.distillation;
    if (d.designSeed === args.seed || d.designSeed === HELDOUT_SEED)
      throw new Error(
        `distillation design seed ${d.designSeed} must differ from the training (${args.seed}) and held-out (${HELDOUT_SEED}) seeds`,
      );
    const teacher = Surrogate.fromArtifacts(teacherArtifacts);
    const extra = sets.flatMap((ds) =>
      teacherLabelledRows(teacher, {
        model: ds.spec.model,
        gpu: ds.spec.gpu,
        seed: d.designSeed,
        samples: d.samplesPerPair,
      }),
    );
    // The planner's own questions (planned with the teacher), answered by the twin.
    const q = DEFAULT_TRAIN.queries;
    const queryRows =
      q.workloads > 0
        ? await loadOrGenerateQueryRows(
            { pairs: args.pairs, seed: q.seed, workloads: q.workloads, perWorkload: q.perWorkload },
            createSurrogateEstimator({ load: async () => teacher, fallbackOnOod: false }),
            weightsKey(teacherArtifacts),
            log,
          )
        : [];
    const queryCopies = Array.from({ length: q.copies }, () => queryRows).flat();
    teacher.dispose();
    log(
      `  ensemble of ${args.members} labelled ${extra.length} design scenarios (seed ${d.designSeed}); ${queryRows.length} planner queries (×${q.copies}) from the twin; training the student`,
    );
    const student = await trainOne(
      { ...pooled, rows: [...pooled.rows, ...queryCopies, ...extra] },
      DEFAULT_TRAIN.options.seed,
      d.epochs,
      "student",
    );
    artifacts = {
      ...student,
      meta: {
        ...student.meta,
        training: {
          ...student.meta.training,
          samples: pooled.rows.length,
          distillation: {
            teacherSeeds: Array.from(
              { length: args.members },
              (_, k) => DEFAULT_TRAIN.options.seed + k,
            ),
            teacherRows: extra.length,
            designSeed: d.designSeed,
            plannerQueryRows: queryRows.length,
            plannerQuerySeed: q.seed,
          },
        },
      },
    };
  }
  for (const [model, gpu] of args.pairs) {
    const dir = join(args.out, modelDirName(model, gpu));
    await writeArtifacts(dir, { ...artifacts, meta: { ...artifacts.meta, model, gpu } });
    log(`  wrote ${dir} (${(artifacts.weights.byteLength / 1024).toFixed(0)} KiB weights)`);
  }
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `surrogate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
