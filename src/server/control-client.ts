/**
 * `createControlClient()`: talks to a control server over its socket, one request at a time
 * or several at once on one connection. Errors the server answers with keep their `code`;
 * a socket no control listens on is `CC_ERR_CLI_UNREACHABLE`, a connection that drops
 * before the answer `CC_ERR_CLI_CONNECTION_LOST`, a request given a `timeout` that sees no
 * reply in time `CC_ERR_CLI_NO_REPLY` (a control whose event loop is stuck).
 */
import { type Stats, existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { ClusterchartError, type ErrorCode, createError, errorCodes } from '../errors.js';
import { createLineSplitter } from './line-splitter.js';
import { type CommandArgs, type CommandName, type CommandResults, type RestartProgress, type WireError, type WireEvent, maxPathBytes } from './protocol.js';

export interface RequestHandlers {
  onProgress?: (progress: RestartProgress) => void;
  onEvent?: (event: WireEvent) => void;
  /** ms until a first reply (result, progress or event); none: wait as long as it takes. */
  timeout?: number;
}

export interface ControlClient {
  readonly path: string;
  /** Sends one request; resolves with its result, rejects with a coded error. */
  request<C extends CommandName>(cmd: C, args?: CommandArgs<C>, handlers?: RequestHandlers): Promise<CommandResults[C]>;
  /** Resolves when the connection has closed, from either side. */
  readonly closed: Promise<void>;
  close(): void;
}

interface Waiting {
  cmd: string;
  handlers: RequestHandlers;
  resolve: (result: never) => void;
  reject: (error: Error) => void;
}

/** Replies are small; this only bounds a misbehaving peer. */
const maxReplyBytes = 64 * 1024 * 1024;

export function createControlClient(options: { path: string }): Promise<ControlClient> {
  const { path } = options;
  const length = Buffer.byteLength(path);
  if (length > maxPathBytes) return Promise.reject(createError('CC_ERR_SERVER_PATH_TOO_LONG', { path, length, max: maxPathBytes }));
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      reject(createError('CC_ERR_CLI_UNREACHABLE', { path, ...unreachable(path, error) }, error)),
    );
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(clientOver(socket, path));
    });
  });
}

function clientOver(socket: Socket, path: string): ControlClient {
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let gone = false;

  const fail = (error: Error) => {
    for (const entry of waiting.values()) entry.reject(error);
    waiting.clear();
  };
  const protocolError = (reason: string) => {
    fail(createError('CC_ERR_CLI_PROTOCOL', { path, reason }));
    socket.destroy();
  };

  const splitter = createLineSplitter({
    maxBytes: maxReplyBytes,
    onOverflow: () => protocolError(`a reply over ${maxReplyBytes} bytes`),
    onLine: (bytes) => {
      let reply: unknown;
      try {
        reply = JSON.parse(bytes.toString('utf8'));
      } catch {
        return protocolError('a line that is not JSON');
      }
      if (typeof reply !== 'object' || reply === null) return protocolError('a line that is not an object');
      const { id } = reply as { id?: unknown };
      const entry = typeof id === 'number' ? waiting.get(id) : undefined;
      if (entry === undefined) return;
      const message = reply as { ok?: boolean; result?: unknown; error?: WireError; progress?: RestartProgress; event?: WireEvent };
      if (message.event !== undefined) entry.handlers.onEvent?.(message.event);
      else if (message.progress !== undefined) entry.handlers.onProgress?.(message.progress);
      else if (message.ok === true) {
        // A streaming command (events) stays registered for its stream after its result.
        if (entry.handlers.onEvent === undefined) waiting.delete(id as number);
        entry.resolve(message.result as never);
      } else if (message.ok === false && message.error !== undefined) {
        waiting.delete(id as number);
        entry.reject(remoteError(message.error));
      } else protocolError('a reply with neither result nor error');
    },
  });

  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      gone = true;
      splitter.end();
      for (const entry of waiting.values()) entry.reject(createError('CC_ERR_CLI_CONNECTION_LOST', { path, what: entry.cmd }));
      waiting.clear();
      resolve();
    });
  });
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  socket.on('error', () => {});

  return {
    path,
    closed,
    request(cmd, args, handlers = {}) {
      return new Promise((resolve, reject) => {
        if (gone) return reject(createError('CC_ERR_CLI_CONNECTION_LOST', { path, what: cmd }));
        const id = nextId++;
        const timer =
          handlers.timeout === undefined
            ? undefined
            : setTimeout(() => {
                waiting.get(id)?.reject(createError('CC_ERR_CLI_NO_REPLY', { path, what: cmd, ms: handlers.timeout, sent: '' }));
                waiting.delete(id);
              }, handlers.timeout);
        const heard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
          clearTimeout(timer);
          fn(...args);
        };
        waiting.set(id, {
          cmd,
          handlers: {
            ...(handlers.onProgress === undefined ? {} : { onProgress: heard(handlers.onProgress) }),
            ...(handlers.onEvent === undefined ? {} : { onEvent: heard(handlers.onEvent) }),
          },
          resolve: heard(resolve as (result: never) => void),
          reject: heard(reject),
        });
        socket.write(`${JSON.stringify({ id, cmd, args: args ?? {} })}\n`);
      });
    },
    close() {
      // Flushed, then closed: a peer that never ends its side must not keep the caller alive.
      socket.end(() => socket.destroy());
    },
  };
}

/**
 * The system's code, said plainly where it would mislead (ECONNREFUSED on a file that is not
 * a socket), and what to do next: `{ reason, next }` of CC_ERR_CLI_UNREACHABLE.
 */
function unreachable(path: string, error: NodeJS.ErrnoException): { reason: string; next: string } {
  const startIt = { next: `; is \`clusterchart run\` running with --control ${path}?` };
  // The control's socket is its owner's alone (mode 0600): the control may well be running.
  const asOwner = { next: '; run the command as the user that runs the control.' };
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (statError) {
    if ((statError as NodeJS.ErrnoException).code === 'EACCES') return { reason: 'EACCES: a folder on the way is closed to this user', ...asOwner };
    if (lstatSync(path, { throwIfNoEntry: false }) !== undefined) return { reason: `a symbolic link to nothing: ${readlinkSync(path)}`, ...startIt };
    const where = resolve(path);
    return { reason: existsSync(dirname(where)) ? `ENOENT: nothing at ${where}` : `ENOENT: the folder ${dirname(where)} does not exist`, ...startIt };
  }
  if (!stats.isSocket()) return { reason: `not a socket but a ${stats.isDirectory() ? 'directory' : 'file'}`, ...startIt };
  if (error.code === 'ECONNREFUSED') return { reason: 'ECONNREFUSED: a socket file no control listens on any more', next: '; the control that made it was killed, and the next `clusterchart run` replaces it.' };
  if (error.code === 'EACCES') return { reason: `EACCES: the socket belongs to uid ${stats.uid}, mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}`, ...asOwner };
  return { reason: error.code ?? error.message, ...startIt };
}

/** The server's error, with its code and message as they were sent. */
function remoteError(wire: WireError): ClusterchartError {
  const known = Object.hasOwn(errorCodes, wire.code);
  const error = createError(known ? (wire.code as ErrorCode) : 'CC_ERR_CLI_PROTOCOL', {});
  Object.defineProperty(error, 'message', { value: String(wire.message), enumerable: false, writable: true, configurable: true });
  if (!known) Object.defineProperty(error, 'code', { value: String(wire.code) });
  return error;
}
