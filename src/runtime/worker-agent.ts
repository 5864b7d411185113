/**
 * `clusterchart/worker`: the agent that runs inside every worker. `clusterchart run` preloads
 * its CommonJS build with `--require`, so an unmodified app gets it; apps may also
 * `import { ready } from 'clusterchart/worker'`. It
 *
 * - tells the control when the app is ready (`ready()`, for `readyOn: 'message'`);
 * - answers the control's stats request with the open connections of every server and the rss;
 * - drains on `shutdown` without resetting a single request, keep-alive ones included;
 * - drains, instead of dying, on a SIGINT or SIGTERM sent to the whole process group (Ctrl-C
 *   in a terminal, systemd's control-group stop): the control got it too and stops every
 *   worker gracefully; and survives a SIGHUP sent so (a closed terminal), on which the control
 *   restarts every worker one replacement at a time;
 * - hands an app that ends in its own SIGTERM or SIGINT handler that signal once drained;
 * - takes the worker's own child processes along when it exits or is terminated, and tells
 *   the control of them, which kills them if the worker dies by SIGKILL or an abort (a worker
 *   whose main thread is blocked when its control dies is the control's warden's job, see
 *   warden.ts).
 *
 * Loading this module has effects, by design: in the main thread of a cluster worker it
 * installs the agent, once per process (see `AGENT_KEY`). Anywhere else it installs nothing
 * and `ready()` does nothing.
 */
import { ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import type { Server as HttpServer, ServerResponse } from 'node:http';
// By name: esbuild's CommonJS build copies every export of a default-imported builtin at
// load; for node:net, about 0.05 ms of each worker's boot (bench/analysis.md, "This round").
import { Server, type Socket } from 'node:net';
import {
  type AgentMessage,
  type ChildNotice,
  type ShutdownMessage,
  type StatsReply,
  type StatsRequest,
  isAgentMessage,
  isClusterDisconnect,
  isStatsRequest,
  isTerminateNotice,
  logPrefixEnv,
  readSwitch,
  workerEnv,
} from './agent-protocol.js';
import { prefixLines } from './log-prefix.js';
import { descendantsOf } from './process-tree.js';

export type { AgentMessage, ReadyMessage, ShutdownMessage, StatsReply, StatsRequest } from './agent-protocol.js';

/** The one agent of a process, shared by every copy of this module that gets loaded. */
export interface WorkerAgent {
  readonly version: 1;
  /** Sends `{ clusterchart: 'ready' }` to the control. */
  ready(): void;
}

/**
 * Where the installed agent lives. The CJS preload and an ESM `import` of this package are
 * two module instances in one process; a registry symbol lets them agree on one agent, so
 * `listen` is wrapped once and every message is answered once.
 */
const AGENT_KEY = Symbol.for('clusterchart.agent');

/** How long an idle connection may still bring one last request once draining starts. */
const KEEP_ALIVE_GRACE_MS = 250;
/** After draining, how long the app's own handles may keep the process alive. */
const EXIT_DELAY_MS = 100;

/** Tells the control that the app is ready to serve. A no-op outside a cluster worker. */
export function ready(): void {
  agent?.ready();
}

/**
 * An app that listens for its own shutdown (the worker's `disconnect`, SIGTERM or SIGINT)
 * decides when it is done draining; the agent never cuts that short. The control's
 * shutdownTimeout still bounds it.
 */
function appOwnsShutdown(): boolean {
  return appListensForDisconnect() || appOwnsSignal('SIGTERM') || appOwnsSignal('SIGINT');
}

/** The app ends itself on the worker's `disconnect`, node:cluster's own word that it is asked to go. */
function appListensForDisconnect(): boolean {
  return (cluster.worker?.listenerCount('disconnect') ?? 0) > 0;
}

/** The signals that stop a worker, in the order the agent hands them to an app (see signalApp). */
const stopSignals = ['SIGTERM', 'SIGINT'] as const;
type StopSignal = (typeof stopSignals)[number];

/** The app listens for `signal` itself (the agent's own listener is one). */
function appOwnsSignal(signal: StopSignal): boolean {
  return process.listenerCount(signal) > 1;
}

function installAgent(): WorkerAgent | undefined {
  // A worker thread inside a cluster worker has no IPC channel (and cluster.isWorker is false
  // there): it gets no agent. Checked without node:worker_threads, which costs every boot.
  if (!cluster.isWorker || typeof process.send !== 'function') return undefined;
  const registry = globalThis as unknown as Record<symbol, WorkerAgent | undefined>;
  registry[AGENT_KEY] ??= createWorkerAgent();
  return registry[AGENT_KEY];
}

function createWorkerAgent(): WorkerAgent {
  if (readSwitch(process.env[logPrefixEnv]) === true) {
    // A worker the app forked itself has no id from the control: its pid says whose lines they are.
    const prefix = `#${process.env[workerEnv.id] ?? `pid ${process.pid}`} | `;
    prefixLines(process.stdout, prefix);
    prefixLines(process.stderr, prefix);
  }
  let exitTimer: NodeJS.Timeout | undefined;
  const servers = createServerRegistry(() => exitWhenDone());

  /** A stop signal came from the process group (see onStopSignal): leave once drained. */
  let leavingOnSignal = false;

  /** Once nothing of ours is left to serve and the control hung up, the process may go. */
  const exitWhenDone = () => {
    if (servers.size() > 0 || exitTimer !== undefined) return;
    if (appOwnsShutdown()) {
      if (!process.connected && cluster.worker?.exitedAfterDisconnect === true) signalApp();
      return;
    }
    // Drained after a stop signal and the control has not disconnected (yet): leave with
    // node:cluster's worker-side disconnect. The control sees a worker that left on its own,
    // and replaces it unless it is stopping.
    if (process.connected && leavingOnSignal) cluster.worker?.disconnect();
    if (process.connected) return;
    // Unref'd: it fires only when the app's own handles would keep the process alive.
    exitTimer = setTimeout(() => process.exit(0), EXIT_DELAY_MS).unref();
    process.on('beforeExit', exitWhenIdle);
  };

  /**
   * The app heard a stop signal it handled then (the process group's, the control's, or
   * signalApp's): it is ending, and is not told again (its handler may have been a `once`).
   */
  let appSignalled = false;

  /**
   * Drained and disconnected at the control's request, an app written for an orchestrator
   * (Kubernetes, systemd, PM2 end a process with SIGTERM or SIGINT, and its handler closes the
   * database and exits) has nothing left to serve, but nothing tells it to finish: node:cluster
   * tells only the worker's `disconnect` listeners. It gets the signal it handles now (SIGTERM
   * first), as an orchestrator would send it, instead of the control's at shutdownTimeout.
   * Not to an app that listens for `disconnect` (it ends itself), nor once it heard a signal it
   * handles (the process group's).
   */
  const signalApp = () => {
    if (appSignalled || appListensForDisconnect()) return;
    const signal = stopSignals.find(appOwnsSignal);
    if (signal !== undefined) process.emit(signal, signal);
  };

  /**
   * Nothing holds the event loop any more: the process is about to end on its own. Ended
   * here instead, it runs the app's `exit` listeners and keeps its exit code, but skips
   * Node's teardown of the environment, CPU that workers leaving alongside it get instead
   * (bench/diagnose/shrink.cjs). Not while the app listens for `beforeExit` too: it may
   * start more work there.
   */
  const exitWhenIdle = () => {
    if (process.listenerCount('beforeExit') === 1) process.exit();
  };

  /**
   * The shutdown message reached the process: the control's own (a control without
   * `agent: true` sends it before the disconnect) or the agent's, handed on below.
   */
  let shutdownHeard = false;

  // Messages from the control, by kind; other kinds (and the app's messages) are ignored.
  const handlers: MessageHandlers = {
    shutdown: () => {
      shutdownHeard = true;
      // Once draining, a second drain would close the servers again: an idle one would emit
      // `close` twice. (Heard after node:cluster's disconnect, the drain is under way.)
      if (!servers.draining()) servers.drain();
      exitWhenDone();
    },
  };

  const onMessage = (message: unknown) => {
    if (!isAgentMessage(message)) return;
    const handler = handlers[message.clusterchart] as ((message: AgentMessage) => void) | undefined;
    handler?.(message);
  };

  /**
   * Whether anyone but node:cluster (whose worker relays the process's messages) and the agent
   * listens for messages, on the process or on the worker. Listeners already there when the
   * agent was installed count as node:cluster's: preloaded, the agent comes before the app;
   * imported by the app, it works for a control without `agent: true`, which sends the
   * shutdown message itself.
   */
  const messageListenersBefore = process.listenerCount('message');
  const appListensForMessages = () =>
    process.listenerCount('message') > messageListenersBefore + 1 || (cluster.worker?.listenerCount('message') ?? 0) > 0;

  // The control's `worker.disconnect()` arrives as node:cluster's own message, whose handler
  // closes every server and, once they are closed, the channel. Heard first (prepended), the
  // agent readies the drain (keep-alive off, idle connections get their grace) but leaves the
  // closing to node:cluster, which then waits for the servers' connections: the channel stays
  // open while they drain, so the control can still announce a SIGTERM (see onStopSignal) and
  // ask for stats. After that handler, it becomes the shutdown message the control sends a
  // worker without the agent, for an app that listens for messages and has not heard it: the
  // control saves a second message, and a worker whose app does not listen saves the CPU of
  // delivering it.
  const onClusterMessage = (message: unknown) => {
    if (isClusterDisconnect(message)) {
      servers.drain({ close: false });
      if (!shutdownHeard && appListensForMessages()) process.nextTick(() => process.emit('message', { clusterchart: 'shutdown' } satisfies ShutdownMessage, undefined));
    }
    else if (isStatsRequest(message)) answerStats(message);
    // The control's SIGTERM follows: meant for this worker alone, so end now.
    else if (isTerminateNotice(message) && !appOwnsSignal('SIGTERM')) endBy('SIGTERM');
  };

  const onDisconnect = () => {
    // Asked to go (shutdown, or a plain worker.disconnect() whose close() of the servers
    // came without our grace): finish draining whatever is left, then exit.
    if (servers.draining() || cluster.worker?.exitedAfterDisconnect === true) {
      servers.drain();
      return exitWhenDone();
    }
    // The control is gone. Node's cluster itself calls process.exit(0) here before us; this
    // is the same, for the day it does not. The exit hook takes the children along.
    process.exit(0);
  };

  /**
   * SIGTERM or SIGINT. An app with its own handler decides how to stop (the exit hook still
   * runs). While the channel to the control is open, the control did not send it: it
   * announces its SIGTERMs (agent-protocol.ts), and sends no SIGINT. The signal went to the
   * whole process group (Ctrl-C, systemd's control-group stop), and the control, which got it
   * as well, stops every worker gracefully; its disconnect may even be here first. Dying now
   * would drop the requests in flight: the worker drains, and leaves once drained unless the
   * control asked first. With the channel closed (after a drain, or with no control any
   * more), it ends as Node would.
   */
  const onStopSignal = (signal: StopSignal) => {
    if (appOwnsSignal(signal)) {
      appSignalled = true;
      return;
    }
    if (!process.connected) return endBy(signal);
    if (!servers.draining()) {
      leavingOnSignal = true;
      cluster.worker?.on('error', ignoreSecondDisconnect);
    }
    servers.drain();
    exitWhenDone();
  };
  const answerStats = ({ nonce }: StatsRequest) => {
    void servers.connections().then((connections) =>
      send({ cmd: 'NODE_CLUSTERCHART_STATS', nonce, connections, memory: process.memoryUsage.rss() }),
    );
  };
  /**
   * When the control got the same signal, its disconnect may be on the wire when the worker
   * leaves on its own: node:cluster then disconnects a second time and reports
   * ERR_IPC_DISCONNECTED as an `error` of the worker, which would crash a worker that has
   * nothing left to do. That one error is expected; any other is thrown as it would have been.
   */
  const ignoreSecondDisconnect = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_IPC_DISCONNECTED') throw error;
  };
  const onSigterm = () => onStopSignal('SIGTERM');
  const onSigint = () => onStopSignal('SIGINT');

  /**
   * SIGHUP. The control never sends it: it went to the whole process group (a closed terminal
   * or ssh session, `kill -HUP -PGID`), and the control, which got it too, restarts every
   * worker one replacement at a time. Dying of it now (Node's default) would leave nothing
   * serving until the replacements boot. With no control any more, it ends as Node would; an
   * app with its own handler decides.
   */
  const onSighup = () => {
    if (process.listenerCount('SIGHUP') === 1 && !process.connected) endBy('SIGHUP');
  };

  /** Dies by `signal` with Node's default action, taking the children along, so the control sees that signal, as without the agent. */
  const endBy = (signal: StopSignal | 'SIGHUP') => {
    killDescendants();
    process.off('SIGTERM', onSigterm);
    process.off('SIGINT', onSigint);
    process.off('SIGHUP', onSighup);
    process.kill(process.pid, signal);
  };

  wrapListen((server) => servers.add(server));
  watchSpawns();
  process.on('message', onMessage);
  (process as NodeJS.EventEmitter).prependListener('internalMessage', onClusterMessage);
  process.on('disconnect', onDisconnect);
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);
  process.on('SIGHUP', onSighup);
  process.on('exit', killDescendants);

  return {
    version: 1,
    ready: () => send({ clusterchart: 'ready' }),
  };
}

type MessageHandlers = {
  [K in AgentMessage['clusterchart']]?: (message: Extract<AgentMessage, { clusterchart: K }>) => void;
};

/** A no-op when the channel is closed; the callback keeps a failed send from becoming an 'error'. */
function send(message: AgentMessage | StatsReply | ChildNotice): void {
  if (!process.connected || process.send === undefined) return;
  process.send(message, undefined, undefined, () => {});
}

/**
 * Whether this process ever started a child process. Every child_process function (spawn,
 * exec, execFile, fork) goes through `ChildProcess.prototype.spawn`; until one did, there is
 * no tree to take down, and a worker exits without reading the process table (/proc holds
 * every process of the machine: a few ms per exit).
 */
let spawned = false;

function watchSpawns(): void {
  // `spawn` is internal to node:child_process, so it is not in the types.
  const prototype = ChildProcess.prototype as ChildProcess & { spawn(...args: unknown[]): unknown };
  const original = prototype.spawn;
  prototype.spawn = function spawn(this: ChildProcess, ...args: unknown[]) {
    spawned = true;
    const result = Reflect.apply(original, this, args);
    // Told to the control too, which kills them if this worker dies by a signal that leaves
    // the exit hook no chance (SIGKILL, an abort).
    const { pid } = this;
    if (pid !== undefined) {
      send({ cmd: 'NODE_CLUSTERCHART_CHILD', pid, running: true });
      this.once('exit', () => send({ cmd: 'NODE_CLUSTERCHART_CHILD', pid, running: false }));
    }
    return result;
  };
}

/** SIGKILLs every descendant; runs in the exit hook, so it must never throw. */
function killDescendants(): void {
  if (!spawned) return;
  try {
    for (const pid of descendantsOf(process.pid)) signalQuietly(pid, 'SIGKILL');
  } catch {
    // Nothing left to do at exit if the process table cannot be read.
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already (ESRCH), or not ours to kill (EPERM).
  }
}

/**
 * Every net.Server (so every http/https server) announces itself through `listen`; wrapping
 * the prototype once catches servers the app creates after the agent loaded.
 */
function wrapListen(onListen: (server: Server) => void): void {
  const original = Server.prototype.listen;
  Server.prototype.listen = function listen(this: Server, ...args: unknown[]) {
    onListen(this);
    return Reflect.apply(original, this, args) as Server;
  } as typeof original;
}

interface ServerRegistry {
  add(server: Server): void;
  /**
   * Stops every server from accepting (`close: false` leaves that to node:cluster's
   * disconnect) and closes its connections as they become idle; from then on, a server that
   * starts listening is closed at once.
   */
  drain(options?: { close?: boolean }): void;
  draining(): boolean;
  /** Sum of `getConnections()` over the servers. */
  connections(): Promise<number>;
  /** Servers listening or still closing (a closing server keeps its connections). */
  size(): number;
}

/** The servers of the process, from `listen` until their `close` (all connections gone). */
function createServerRegistry(onEmpty: () => void): ServerRegistry {
  const servers = new Set<Server>();
  const drainers = new WeakMap<Server, (close: boolean) => void>();
  let draining = false;

  const watch = (server: Server) => {
    const drain = isHttpServer(server) ? watchHttpServer(server) : (close: boolean) => close && server.close();
    drainers.set(server, drain);
    // A listen still pending when draining began (a cluster worker asks the primary for
    // the handle) completes later: that server, too, must not accept.
    server.on('listening', () => {
      servers.add(server);
      if (draining) drain(true);
    });
    server.on('close', () => {
      servers.delete(server);
      if (servers.size === 0) onEmpty();
    });
  };

  return {
    add(server) {
      if (!drainers.has(server)) watch(server);
      servers.add(server);
    },
    drain({ close = true } = {}) {
      draining = true;
      // close() also settles a server whose listen failed: it emits 'close' at once.
      for (const server of servers) drainers.get(server)?.(close);
    },
    draining: () => draining,
    async connections() {
      const counts = await Promise.all([...servers].map(connectionsOf));
      return counts.reduce((sum, count) => sum + count, 0);
    },
    size: () => servers.size,
  };
}

function connectionsOf(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
}

/** http and https servers; http2 and plain net servers have no closeIdleConnections. */
function isHttpServer(server: Server): server is HttpServer {
  return typeof (server as Partial<HttpServer>).closeIdleConnections === 'function';
}

/** The response a connection is sending now (node:http's own record; the next pipelined one takes over when it finishes). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null; parser?: unknown };

/**
 * Follows the connections of an http(s) server and returns its drain function. Draining
 * closes the listener, gives every response not yet sent `Connection: close`, and closes a
 * connection only once it owes no response and stayed idle for a short grace: a keep-alive
 * client may be sending its next request right now, and closing under it is exactly the reset
 * this avoids. That request is answered, with `Connection: close`.
 *
 * Until the drain, the agent keeps the open connections and nothing per request: node:http
 * knows the response each connection is sending (`_httpMessage`, which its own
 * closeIdleConnections reads too). Following every request and response would cost each
 * request about 10 µs of the worker's CPU, some 5% of a small one (bench/analysis.md).
 */
function watchHttpServer(server: HttpServer): (close: boolean) => void {
  const connections = new Set<HttpSocket>();
  /** Connections in their grace, by the timer that ends it. */
  const graces = new Map<Socket, NodeJS.Timeout>();
  let draining = false;

  const endGrace = (socket: Socket) => {
    clearTimeout(graces.get(socket));
    graces.delete(socket);
  };

  // One listener for every connection, so that none costs a closure.
  function forget(this: Socket) {
    connections.delete(this);
    endGrace(this);
  }

  const closeWhenIdle = (socket: HttpSocket) => {
    if (socket.destroyed) return;
    // Looked at again once that response has gone: the connection is then idle, or sending
    // the next, pipelined one. (Looked at twice meanwhile, it is looked at twice then, to the
    // same effect: the second look re-arms the one grace.)
    const response = socket._httpMessage;
    if (response != null) {
      response.once('close', () => closeWhenIdle(socket));
      return;
    }
    endGrace(socket);
    const grace = setTimeout(() => {
      // Timers run before I/O: when a busy worker gets to this one late, a request that came
      // meanwhile is still unread, and closing now would answer it with a reset. So the
      // connection is looked at again after this turn's I/O: a request read then is answered
      // (and re-arms the grace once its response is sent).
      setImmediate(() => {
        // A socket without parser was upgraded (WebSocket, CONNECT): it is the app's, not HTTP's.
        if (graces.get(socket) === grace && socket._httpMessage == null && socket.parser != null) socket.destroy();
      });
    }, KEEP_ALIVE_GRACE_MS).unref();
    graces.set(socket, grace);
  };

  // https hands its sockets to http on 'secureConnection', after the TLS handshake.
  const connectionEvent = 'setSecureContext' in server ? 'secureConnection' : 'connection';
  server.on(connectionEvent, (socket: HttpSocket) => {
    connections.add(socket);
    socket.on('close', forget);
    if (draining) closeWhenIdle(socket);
  });

  // Prepended, so it runs before the app's handler can send the headers. node:http has made
  // this response the connection's (or queued it behind the one being sent) by then.
  const onRequestWhileDraining = (request: { socket: Socket }, response: ServerResponse) => {
    endGrace(request.socket);
    response.shouldKeepAlive = false;
    closeWhenIdle(request.socket as HttpSocket);
  };

  return (close) => {
    if (!draining) {
      draining = true;
      server.prependListener('request', onRequestWhileDraining);
      // http's close() (ours below, and cluster's on worker.disconnect()) destroys idle
      // keep-alive connections at once, racing a client's next request; here they get
      // the grace instead.
      server.closeIdleConnections = () => {};
      for (const socket of connections) {
        const response = socket._httpMessage;
        if (response != null && !response.headersSent) response.shouldKeepAlive = false;
        closeWhenIdle(socket);
      }
    }
    // Every time: drain() runs again for a server that (re)starts listening while draining.
    if (close) server.close();
  };
}

// Last, so that every constant above is initialised when the agent starts.
const agent = installAgent();
