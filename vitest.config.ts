import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const entry = (name: string) => fileURLToPath(new URL(`./lib/${name}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^buddy-ai$/, replacement: entry("index") },
      { find: /^buddy-ai\/(sqlite|postgres|openai|testing|http)$/, replacement: entry("$1") },
    ],
  },
  test: {
    include: ["spec/**/*.spec.ts"],
    // One PostgreSQL server for every spec (a throwaway cluster, or PGlite); prints which.
    globalSetup: ["spec/support/postgres-global-setup.ts"],
    typecheck: { enabled: true, include: ["spec/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
