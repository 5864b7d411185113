/**
 * Dependencies loaded the first time they are used. A control that never serves a socket,
 * metrics or a diagram never pays for zod, prom-client or Graphviz (about 18 MB of RSS
 * together), nor one without a dashboard for node:http and node:crypto (with node:fs/promises,
 * which control-server.ts reaches through `fs.promises`: 1.3 MB of an idle control's RSS and
 * 5 ms of the library's load, bench/analysis.md), so the library's one entry point stays as
 * light as the control itself.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** `load()` runs once, on the first call; every call returns its value. */
export function onFirstUse<T>(load: () => T): () => T {
  let loaded: { value: T } | null = null;
  return () => (loaded ??= { value: load() }).value;
}

/** A package dependency or a built-in module, required now (from the CJS and the ESM build alike). */
export const requireDependency = <T>(name: string): T => requireHere(name) as T;
