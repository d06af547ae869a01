/// <reference types="vitest/config" />
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

export default defineConfig({
  // Relative asset URLs so the build works from any sub-path of a static host.
  base: "./",
  plugins: [react(), cspMetaTag()],
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
