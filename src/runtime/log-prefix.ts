/**
 * `clusterchart run --log-prefix`: the agent puts `#<id> | ` before every line its worker
 * writes to stdout and stderr, so the lines of several workers in run's one output say whose
 * they are (PM2's `3|app |`). It is done in the worker, on its own writes, not by copying its
 * output through the control: nothing is buffered on the way, so nothing is lost when a
 * worker or the control exits, and the control spends no CPU on logs. What does not go
 * through `process.stdout` and `process.stderr` is not prefixed: the worker's own child
 * processes, loggers that write to fd 1 themselves (pino's default destination, whose JSON
 * lines carry the pid anyway), and Node's own report of an uncaught exception (run's
 * "exited unexpectedly" line names the worker then). A line written in pieces is prefixed
 * once, before its first piece: what another worker writes between the pieces lands inside it.
 */

/** Puts `prefix` before every line of the text written through it; lines may span writes. */
export function createLinePrefixer(prefix: string): (text: string) => string {
  let atLineStart = true;
  return (text) => {
    if (text.length === 0) return text;
    const ends = text.endsWith('\n');
    const body = ends ? text.slice(0, -1) : text;
    const out = (atLineStart ? prefix : '') + body.replaceAll('\n', `\n${prefix}`) + (ends ? '\n' : '');
    atLineStart = ends;
    return out;
  };
}

type Write = NodeJS.WriteStream['write'];

/**
 * Prefixes every line written to `stream` (its `write`, which `console` uses too). A UTF-8
 * string is prefixed as it is; bytes (any typed array or DataView) and strings in other encodings are prefixed as latin1,
 * which maps each byte to one character and back, so they reach the stream unchanged.
 */
export function prefixLines(stream: NodeJS.WriteStream, prefix: string): void {
  const prefixed = createLinePrefixer(prefix);
  const write = stream.write as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, callback?: unknown) {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof chunk === 'string' && (encoding === undefined || typeof encoding === 'function' || encoding === 'utf8' || encoding === 'utf-8')) {
      return write.call(this, prefixed(chunk), 'utf8', done);
    }
    if (typeof chunk !== 'string' && !ArrayBuffer.isView(chunk)) return write.call(this, chunk, encoding, callback);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding as BufferEncoding) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return write.call(this, Buffer.from(prefixed(bytes.toString('latin1')), 'latin1'), done);
  } as Write;
}
