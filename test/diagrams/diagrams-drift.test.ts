/**
 * The committed diagrams and the README's Mermaid blocks match the machines: regenerated in
 * memory, byte for byte. On a difference: run `npm run diagrams` and commit the result.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateDiagrams } from '../../src/diagrams/generate-diagrams.js';
import { diagramNames } from '../../src/diagrams/choices.js';
import { readDiagramBlock } from '../../src/diagrams/readme-blocks.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8').catch(() => null);
const hint = 'out of date: run `npm run diagrams` and commit the result';

describe('committed diagrams', async () => {
  const readme = (await read('README.md')) ?? '';
  const generated = await generateDiagrams(readme);

  it.each(Object.keys(generated.files))('%s matches its machine', async (path) => {
    expect(await read(path), `${path} is ${hint}`).toBe(generated.files[path]);
  });

  it.each(diagramNames)('the README block of %s matches its machine', (name) => {
    expect(readDiagramBlock(readme, name), `README.md block ${name} is ${hint}`).toBe(readDiagramBlock(generated.readme, name));
  });

  it('writes nothing outside the markers of the README', () => {
    const strip = (text: string) => text.replace(/(<!-- diagram:(\w+):start -->)[\s\S]*?(<!-- diagram:\2:end -->)/g, '$1$3');
    expect(strip(generated.readme)).toBe(strip(readme));
  });
});
