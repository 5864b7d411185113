/**
 * Global setup of the reliability suite: a private copy of the built package, so a rebuild
 * of dist/ by anyone while the suite runs (tsup cleans dist/ first) cannot pull the agent
 * from under the workers. test/artifacts/ is ignored by git.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityDist: string;
  }
}

export default function setup(project: TestProject) {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  const copy = fileURLToPath(new URL(`../artifacts/reliability-${process.pid}/dist/`, import.meta.url));
  mkdirSync(copy, { recursive: true });
  for (const file of ['index.js', 'index.cjs', 'worker.cjs', 'worker.js']) cpSync(`${dist}${file}`, `${copy}${file}`);
  project.provide('reliabilityDist', `${copy}index.js`);
  return () => rmSync(fileURLToPath(new URL(`../artifacts/reliability-${process.pid}/`, import.meta.url)), { recursive: true, force: true });
}
