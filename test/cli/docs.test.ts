/**
 * docs/cli.md is generated from the options table (`npm run docs:cli` rewrites it); this
 * test fails when the committed file has drifted from the table.
 */
import { expect, it } from 'vitest';
import { renderReference } from '../../src/cli/help.js';

it('docs/cli.md matches the options table (run `npm run docs:cli` to regenerate)', async () => {
  await expect(renderReference()).toMatchFileSnapshot('../../docs/cli.md');
});
