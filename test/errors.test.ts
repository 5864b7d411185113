/**
 * One table of codes (src/errors.ts): each key is well formed, each is documented in
 * docs/errors.md, and each error carries its code and a readable message.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ClusterchartError, errorCodes, warningCodes } from '../src/errors.js';

const docs = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const codes = [...Object.keys(errorCodes), ...Object.keys(warningCodes)];

test('codes are well formed', () => {
  for (const code of Object.keys(errorCodes)) expect(code).toMatch(/^CC_ERR_[A-Z]+_[A-Z_]+$/);
  for (const code of Object.keys(warningCodes)) expect(code).toMatch(/^CC_WRN_\d{3}$/);
});

test.each(codes)('%s is documented in docs/errors.md', (code) => {
  expect(docs).toContain(`### ${code}`);
});

test('docs/errors.md documents no code that does not exist', () => {
  const documented = [...docs.matchAll(/^### (CC_\w+)/gm)].map((m) => m[1]);
  expect(documented.filter((code) => !codes.includes(code!))).toEqual([]);
});

test('an error carries its code, details and a message built from the template', () => {
  const error = new ClusterchartError('CC_ERR_WORKER_UNKNOWN', { id: 42 });
  expect(error).toMatchObject({ code: 'CC_ERR_WORKER_UNKNOWN', details: { id: 42 }, message: 'No worker with id 42.', name: 'ClusterchartError' });
});
