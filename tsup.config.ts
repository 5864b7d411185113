import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library and the worker agent, for both module systems; `shims` gives the CJS
    // build a working `import.meta.url` (node-cluster.ts finds the agent with it).
    entry: { index: 'src/index.ts', worker: 'src/runtime/worker-agent.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    shims: true,
    clean: true,
    target: 'node20',
    splitting: false,
  },
  {
    // The `clusterchart` bin: ESM only.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    splitting: false,
  },
]);
