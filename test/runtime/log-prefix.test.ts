/**
 * The line prefixer of `run --log-prefix` (log-prefix.ts): every line, also one written in
 * pieces, gets the prefix once; bytes that are not UTF-8 reach the stream unchanged. On real
 * workers: test/cli/run.test.ts, "worker output".
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLinePrefixer, prefixLines } from '../../src/runtime/log-prefix.js';

describe('createLinePrefixer', () => {
  test('prefixes each line once, across writes, and never after the last newline', () => {
    const prefixed = createLinePrefixer('#3 | ');
    expect(['one\ntwo\n', 'spl', 'it', '\n', '', '\n', 'tail'].map(prefixed)).toEqual(['#3 | one\n#3 | two\n', '#3 | spl', 'it', '\n', '', '#3 | \n', '#3 | tail']);
  });
});

describe('prefixLines', () => {
  function captured() {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    prefixLines(stream, '#1 | ');
    return { stream, bytes: () => Buffer.concat(chunks) };
  }

  test('strings, buffers, typed arrays and other encodings; callbacks are called', async () => {
    const { stream, bytes } = captured();
    const called: string[] = [];
    stream.write('a\n', () => called.push('string'));
    stream.write(Buffer.from([0x62, 0xff, 0x0a]), () => called.push('buffer'));
    stream.write(new Uint8Array([0x63, 0x0a]).subarray(0, 2));
    stream.write('640a', 'hex', () => called.push('hex'));
    stream.write('é\n', 'utf8');
    // Node takes any ArrayBufferView, whatever its types say.
    stream.write(new DataView(new Uint8Array([0x65, 0x0a]).buffer) as never);
    await new Promise((resolve) => setImmediate(resolve));
    expect(bytes()).toEqual(Buffer.concat([Buffer.from('#1 | a\n#1 | b'), Buffer.from([0xff, 0x0a]), Buffer.from('#1 | c\n#1 | d\n#1 | é\n#1 | e\n')]));
    expect(called).toEqual(['string', 'buffer', 'hex']);
  });

  test('console writes through it', () => {
    const { stream, bytes } = captured();
    new Console(stream).log('x %d\ny', 1);
    expect(bytes().toString()).toBe('#1 | x 1\n#1 | y\n');
  });
});
