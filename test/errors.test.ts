/**
 * One table of codes (src/errors.ts): each key is well formed, each is documented in
 * docs/errors.md, and each error carries its code and a readable message.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { ClusterchartError, errorCodes, isClusterchartError, warningCodes } from '../src/errors.js';

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

test('instanceof and isClusterchartError hold across copies of clusterchart (its ESM and CommonJS builds)', async () => {
  const copies = [{ ClusterchartError, isClusterchartError }, createRequire(import.meta.url)('../dist/index.cjs'), await import('../dist/index.js')] as Array<{
    ClusterchartError: typeof ClusterchartError;
    isClusterchartError: typeof isClusterchartError;
  }>;
  for (const maker of copies) {
    const error = new maker.ClusterchartError('CC_ERR_CONTROL_GAVE_UP', { reason: 'r', maxRestarts: 1 });
    for (const checker of copies) {
      expect(error).toBeInstanceOf(checker.ClusterchartError);
      expect(checker.isClusterchartError(error)).toBe(true);
      expect(checker.isClusterchartError(error, 'CC_ERR_CONTROL_GAVE_UP')).toBe(true);
      expect(checker.isClusterchartError(error, 'CC_ERR_CONTROL_STOPPED')).toBe(false);
    }
  }
  for (const other of [new Error('plain'), { code: 'CC_ERR_CONTROL_GAVE_UP' }, null, 'CC_ERR_CONTROL_GAVE_UP']) {
    expect(other instanceof ClusterchartError).toBe(false);
    expect(isClusterchartError(other)).toBe(false);
  }
  // A subclass checks as usual: a plain ClusterchartError is not one.
  class AppError extends ClusterchartError {}
  expect(new ClusterchartError('CC_ERR_WORKER_UNKNOWN', { id: 1 }) instanceof AppError).toBe(false);
  expect(new AppError('CC_ERR_WORKER_UNKNOWN', { id: 1 })).toBeInstanceOf(AppError);
  expect(new AppError('CC_ERR_WORKER_UNKNOWN', { id: 1 })).toBeInstanceOf(ClusterchartError);
  // Still an Error, with its stack and name.
  const error = new ClusterchartError('CC_ERR_WORKER_UNKNOWN', { id: 1 });
  expect(error).toBeInstanceOf(Error);
  expect(Object.getOwnPropertyDescriptor(error, Symbol.for('clusterchart.error'))).toMatchObject({ value: true, enumerable: false });
  expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'ClusterchartError', code: 'CC_ERR_WORKER_UNKNOWN', details: { id: 1 } });
});
