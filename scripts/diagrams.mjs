// `npm run diagrams`: regenerates diagrams/{worker,control}.{mmd,dot,svg} and the Mermaid
// blocks of README.md from the machine definitions in src/machines.
// `npm run diagrams -- --check` writes nothing and exits 1 when anything is out of date.
//
// The generator is TypeScript (src/diagrams); tsup bundles it into node_modules/.cache
// first, so this works from a fresh clone without the package build or its exports.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const outDir = join(root, 'node_modules', '.cache', 'clusterchart-diagrams');

await rm(outDir, { recursive: true, force: true });
await build({
  config: false,
  entry: { generate: join(root, 'src', 'diagrams', 'generate-diagrams.ts') },
  outDir,
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: false,
  clean: false,
  splitting: false,
  silent: true,
});
const { generateDiagrams } = await import(pathToFileURL(join(outDir, 'generate.js')).href);

const readmePath = join(root, 'README.md');
const readme = await readFile(readmePath, 'utf8');
const generated = await generateDiagrams(readme);
const wanted = { ...generated.files, 'README.md': generated.readme };

const stale = [];
for (const [path, text] of Object.entries(wanted)) {
  const file = join(root, path);
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === text) continue;
  stale.push(path);
  if (check) continue;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

if (check && stale.length > 0) {
  console.error(`clusterchart: out of date: ${stale.join(', ')}; run \`npm run diagrams\``);
  process.exitCode = 1;
} else {
  console.log(stale.length === 0 ? 'clusterchart: diagrams are up to date' : `clusterchart: wrote ${stale.join(', ')}`);
}
