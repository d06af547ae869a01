/// <reference types="vitest/config" />
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

/**
 * Production Content-Security-Policy. Injected only into the built index.html:
 * the dev server's React Refresh preamble is an inline script, which this policy forbids.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
].join("; ");

function cspMetaTag(): Plugin {
  return {
    name: "lfp-csp-meta",
    apply: "build",
    transformIndexHtml(html) {
      // Right after <meta charset>, before any script, so the policy governs everything.
      const tag = `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`;
      const charset = /<meta charset="[^"]*"\s*\/?>/i;
      if (!charset.test(html)) throw new Error("index.html needs a <meta charset> tag");
      return html.replace(charset, (m) => `${m}\n    ${tag}`);
    },
  };
}

/** Files of a surrogate model directory (see src/core/surrogate/runtime.ts, MODEL_FILES). */
const MODEL_FILES = ["model.json", "weights.bin", "normalisation.json"];

/** `<model>__<gpu>` directories under public/models/ holding a complete model. */
export function shippedModels(root = import.meta.dirname): string[] {
  const dir = join(root, "public", "models");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[\w.-]+__[\w.-]+$/.test(d.name))
    .map((d) => d.name)
    .filter((name) => MODEL_FILES.every((f) => existsSync(join(dir, name, f))))
    .sort();
}

/**
 * `models/index.json`: the shipped surrogate models, so the app's workers know which
 * (model, GPU) pairs have one without probing URLs (a 404 per missing pair would also be a
 * console error). Emitted into the build and served by the dev server.
 */
function modelsManifest(): Plugin {
  const body = () => JSON.stringify({ format: "lfp-models", models: shippedModels() }) + "\n";
  return {
    name: "lfp-models-manifest",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split("?")[0]?.endsWith("/models/index.json")) {
          res.setHeader("Content-Type", "application/json");
          res.end(body());
          return;
        }
        next();
      });
    },
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "models/index.json", source: body() });
    },
  };
}

export default defineConfig({
  // Relative asset URLs so the build works from any sub-path of a static host.
  base: "./",
  plugins: [react(), cspMetaTag(), modelsManifest()],
  worker: {
    format: "es",
  },
  build: {
    target: "es2022",
  },
  test: {
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    environment: "node",
  },
});
