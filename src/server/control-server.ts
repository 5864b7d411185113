/**
 * `createControlServer()`: serves a control over a UNIX socket, one JSON request per line
 * (see `protocol.ts`). The socket is created with mode 0600; a stale socket file left by a
 * dead control is replaced, a live one is refused. Every line is validated; whatever a
 * client sends, the server answers it with a coded error and goes on serving the control
 * and its other clients.
 */
import { existsSync, lstatSync, promises as fsp, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { createError } from '../errors.js';
import type { Control } from '../runtime/create-control.js';
import { type CommandContext, commands, replied } from './commands.js';
import { createLineSplitter } from './line-splitter.js';
import {
  type CommandName,
  type Reply,
  type RequestId,
  encodeReply,
  maxLineBytes as defaultMaxLineBytes,
  maxPathBytes,
  parseArgs,
  parseRequest,
  toWireError,
  wireError,
} from './protocol.js';

export const defaultControlPath = './clusterchart.sock';

export interface ControlServerOptions {
  /** The socket's path. Default `./clusterchart.sock`. */
  path?: string;
  /** Longest request line in bytes. Default 64 KiB. */
  maxLineBytes?: number;
  /** Requests in flight per connection before further ones are refused. Default 32. */
  maxPending?: number;
  /** Bytes queued for a client that does not read before it is disconnected. Default 8 MiB. */
  maxBuffered?: number;
}

export interface ControlServer {
  /** The socket's path, as given. */
  readonly path: string;
  /** Connections open now. */
  connections(): number;
  /** Stops accepting, answers what is in flight, ends every connection, removes the socket file. */
  close(): Promise<void>;
}


interface Pending {
  id: RequestId;
  cmd: string;
  abort: AbortController;
  /** Set once the final reply went out (or was replaced by a closing error). */
  settled: boolean;
}

export async function createControlServer(control: Control, options: ControlServerOptions = {}): Promise<ControlServer> {
  const path = options.path ?? defaultControlPath;
  const maxLine = options.maxLineBytes ?? defaultMaxLineBytes;
  const maxPending = options.maxPending ?? 32;
  const maxBuffered = options.maxBuffered ?? 8 * 1024 * 1024;

  const length = Buffer.byteLength(path);
  if (length > maxPathBytes) throw createError('CC_ERR_SERVER_PATH_TOO_LONG', { path, length, max: maxPathBytes });
  await clearStaleSocket(path);

  const sockets = new Map<Socket, Set<Pending>>();
  let closing = false;

  const server = createServer({ allowHalfOpen: true }, (socket) => serve(socket));
  const serve = (socket: Socket) => {
    const pending = new Set<Pending>();
    sockets.set(socket, pending);
    let ended = false;

    const write = (reply: Reply) => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(encodeReply(reply));
      if (socket.writableLength > maxBuffered) socket.destroy();
      else if (socket.writableNeedDrain) socket.pause();
    };
    const endIfIdle = () => {
      if (ended && pending.size === 0 && !socket.destroyed) socket.end();
    };

    const run = (id: RequestId, cmd: CommandName, rawArgs: unknown) => {
      if (closing) return write({ id, ok: false, error: wireError('CC_ERR_SERVER_CLOSING', { cmd }) });
      if (pending.size >= maxPending) return write({ id, ok: false, error: wireError('CC_ERR_SERVER_BUSY', { limit: maxPending }) });
      let args: unknown;
      try {
        args = parseArgs(cmd, rawArgs);
      } catch (error) {
        return write({ id, ok: false, error: toWireError(error, cmd) });
      }
      const entry: Pending = { id, cmd, abort: new AbortController(), settled: false };
      const finish = (reply: Reply) => {
        if (entry.settled) return;
        entry.settled = true;
        write(reply);
      };
      const context: CommandContext = {
        control,
        signal: entry.abort.signal,
        progress: (progress) => {
          if (!entry.settled) write({ id, ok: true, progress });
        },
        event: (event) => write({ id, event }),
        reply: (result) => finish({ id, ok: true, result }),
      };
      pending.add(entry);
      const handler = commands[cmd] as (args: unknown, context: CommandContext) => Promise<unknown>;
      Promise.resolve()
        .then(() => handler(args, context))
        .then(
          (result) => {
            if (result !== replied) finish({ id, ok: true, result });
          },
          (error: unknown) => finish({ id, ok: false, error: toWireError(error, cmd) }),
        )
        .finally(() => {
          pending.delete(entry);
          endIfIdle();
        });
    };

    const splitter = createLineSplitter({
      maxBytes: maxLine,
      onOverflow: () => write({ id: null, ok: false, error: wireError('CC_ERR_SERVER_LINE_TOO_LONG', { limit: maxLine }) }),
      onLine: (bytes) => {
        const line = bytes.toString('utf8').trim();
        if (line === '') return;
        const request = parseRequest(line);
        if (request.error !== undefined) write({ id: request.id, ok: false, error: request.error });
        else run(request.id, request.cmd, request.args);
      },
    });

    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('drain', () => socket.resume());
    socket.on('end', () => {
      splitter.end();
      ended = true;
      // A client that closes its side stops following streams; what is in flight is answered.
      for (const entry of pending) entry.abort.abort();
      endIfIdle();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const entry of pending) entry.abort.abort();
      sockets.delete(socket);
    });
  };

  server.on('error', () => {});
  await listen(server, path);
  const identity = socketIdentity(path);

  // Node removes the socket file when the server closes, but not when the process exits
  // without closing it: do it then, if the file is still ours.
  const removeOnExit = () => {
    try {
      if (socketIdentity(path) === identity) unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  process.on('exit', removeOnExit);

  let closed: Promise<void> | undefined;
  return {
    path,
    connections: () => sockets.size,
    close() {
      closed ??= (async () => {
        closing = true;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const pending of sockets.values()) for (const entry of pending) entry.abort.abort();
        // Let requests settled by the same turn (a `stop` that caused this close) answer first.
        await new Promise((resolve) => setImmediate(resolve));
        for (const [socket, pending] of sockets) {
          for (const entry of pending) {
            if (entry.settled) continue;
            entry.settled = true;
            if (socket.writable) socket.write(encodeReply({ id: entry.id, ok: false, error: wireError('CC_ERR_SERVER_CLOSING', { cmd: entry.cmd }) }));
          }
          if (socket.writableLength > 0 && socket.writableNeedDrain) socket.destroy();
          else socket.end(() => socket.destroy());
        }
        await serverClosed;
        process.off('exit', removeOnExit);
      })();
      return closed;
    },
  };
}

/** Binds with mode 0600 from the start: the umask covers the moment between bind and chmod. */
function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? createError('CC_ERR_SERVER_IN_USE', { path }, error)
          : createError('CC_ERR_SERVER_LISTEN', { path, reason: existsSync(dirname(path)) ? (error.code ?? error.message) : `the folder ${dirname(path)} does not exist` }, error),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // The bind of a pipe server happens synchronously inside listen(), so the umask change
    // is in force exactly for it.
    const umask = process.umask(0o177);
    try {
      server.listen({ path, readableAll: false, writableAll: false });
    } finally {
      process.umask(umask);
    }
  });
}

/** Removes a socket file no one listens on; refuses a live socket and anything not a socket. */
async function clearStaleSocket(path: string): Promise<void> {
  const stats = await fsp.lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw createError('CC_ERR_SERVER_LISTEN', { path, reason: error.code ?? error.message }, error);
  });
  if (stats === null) return;
  if (!stats.isSocket()) throw createError('CC_ERR_SERVER_PATH_TAKEN', { path });
  const live = await new Promise<boolean | NodeJS.ErrnoException>((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? false : error));
  });
  if (live === true) throw createError('CC_ERR_SERVER_IN_USE', { path });
  if (live !== false) throw createError('CC_ERR_SERVER_LISTEN', { path, reason: live.code ?? live.message }, live);
  await fsp.unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw createError('CC_ERR_SERVER_LISTEN', { path, reason: error.code ?? error.message }, error);
  });
}

/** Device and inode of the file at `path`, to tell our socket from a successor's. */
function socketIdentity(path: string): string | null {
  try {
    const stats = lstatSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return null;
  }
}
