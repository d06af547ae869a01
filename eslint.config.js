import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "public/models/",
      "test-results/",
      "playwright-report/",
      "coverage/",
      "bench/out/",
      ".scratch/",
      "test-reports/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,js,mjs}"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, ...globals.node, ...globals.worker },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // src/core is pure TypeScript that must also run in Node: no React, no DOM, no workers/UI.
    files: ["src/core/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "react", message: "src/core must not depend on React." },
            { name: "react-dom", message: "src/core must not depend on React DOM." },
            { name: "zustand", message: "src/core must not depend on UI state." },
            { name: "comlink", message: "Worker wiring belongs in workers/, not src/core." },
            { name: "idb-keyval", message: "src/core must not touch browser storage." },
          ],
          patterns: [
            { group: ["react/*", "react-dom/*"], message: "src/core must not depend on React." },
            {
              group: ["@dnd-kit/*", "@tanstack/react-*", "recharts", "recharts/*"],
              message: "UI libraries are not allowed in src/core.",
            },
            {
              group: ["**/ui/**", "**/state/**", "**/workers/**", "**/*.css"],
              message: "src/core must not import UI, state, workers or CSS.",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "window", message: "src/core runs in Node: no DOM globals." },
        { name: "document", message: "src/core runs in Node: no DOM globals." },
        { name: "localStorage", message: "src/core runs in Node: no DOM globals." },
        { name: "navigator", message: "src/core runs in Node: no DOM globals." },
      ],
    },
  },
);
