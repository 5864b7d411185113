/**
 * One cluster worker, from `fork()` to its exit. Pure: effects are the named actions
 * `fork`, `disconnect`, `signal` and `notifyControl`, supplied by the runtime with
 * `.provide()`; time passes only through the named delays; wall-clock instants arrive
 * inside events (`at`), stamped by the runtime.
 */
import { assign, enqueueActions, sendParent, setup } from 'xstate';
import type { ReadyOn } from '../options.js';

export type ExitPhase = 'startup' | 'runtime' | 'stopping';

/** Why the worker is on its way out; decides the phase and whether the exit was expected. */
export type StopReason = 'shutdown' | 'terminate' | 'startupTimeout' | 'startupDisconnect' | 'disconnect';

export interface WorkerInput {
  id: number;
  slot: number;
  generation: number;
  readyOn: ReadyOn;
  startupTimeout: number;
  shutdownTimeout: number;
  terminateTimeout: number;
  /** Forked by the app itself: the control only watches it, it does not fork it. */
  adopted?: boolean;
  /** Known when adopted (the fork already happened). */
  pid?: number | null;
  forkAt?: number | null;
}

export interface WorkerContext {
  readonly id: number;
  readonly slot: number;
  readonly generation: number;
  readonly readyOn: ReadyOn;
  readonly startupTimeout: number;
  readonly shutdownTimeout: number;
  readonly terminateTimeout: number;
  readonly adopted: boolean;
  pid: number | null;
  forkAt: number | null;
  onlineAt: number | null;
  stopReason: StopReason | null;
  /** Filled on the transition into `exited`; the machine's output. */
  exit: WorkerExit | null;
}

/** The output of the final state `exited`. */
export interface WorkerExit {
  id: number;
  pid: number | null;
  slot: number;
  generation: number;
  code: number | null;
  signal: string | null;
  phase: ExitPhase;
  /** True only when the control asked for this exit. */
  expected: boolean;
  /**
   * Why it was on its way out, if it was: the control's `shutdown` or `terminate`, its
   * `startupTimeout`, or its own disconnect (`startupDisconnect` before ready, else `disconnect`);
   * null for an exit out of the blue (a crash, or exit() without a disconnect). A request of
   * the control after another reason replaces it (the exit is then expected).
   */
  reason: StopReason | null;
  /** ms from fork to exit (0 when the fork instant is unknown). */
  age: number;
  at: number;
}

/** Where a worker listens, as node:cluster's `listening` event says it. */
export interface ListeningAddress {
  address: string | null;
  port: number;
  /** 4 or 6 (TCP), -1 (a Unix socket: `address` is its path), 'udp4' or 'udp6'. */
  addressType: 4 | 6 | -1 | 'udp4' | 'udp6';
}

/** Facts from node:cluster, as the port reports them. */
export type WorkerFact =
  | { type: 'cluster.fork'; id: number; pid: number; at: number }
  | { type: 'cluster.online'; id: number; at: number }
  /** `address` is null for a worker adopted after it listened. */
  | { type: 'cluster.listening'; id: number; address?: ListeningAddress | null; at?: number }
  | { type: 'cluster.disconnect'; id: number; at?: number }
  | { type: 'cluster.exit'; id: number; code: number | null; signal: string | null; at: number }
  | { type: 'worker.ready'; id: number; at?: number };

/** Commands from the control. */
export type WorkerCommand = { type: 'control.shutdown' } | { type: 'control.terminate' };

export type WorkerEvent = WorkerFact | WorkerCommand;

/**
 * Notices a worker sends its control. `worker.failing` (it disconnected on its own) needs no
 * handler: the control's step on it re-reads its eventless guards (its size is no longer met).
 */
export type WorkerNotice =
  | { type: 'worker.serving'; id: number }
  | { type: 'worker.failing'; id: number }
  | { type: 'worker.stopping'; id: number; how: 'shutdown' | 'terminate' | 'kill' };

/** The phase and expectedness of an exit, from the state it happens in and the stop reason. */
function classify(state: 'starting' | 'ready' | 'stopping', reason: StopReason | null): { phase: ExitPhase; expected: boolean } {
  if (state === 'starting') return { phase: 'startup', expected: false };
  if (state === 'ready') return { phase: 'runtime', expected: false };
  switch (reason) {
    case 'startupTimeout':
    case 'startupDisconnect':
      return { phase: 'startup', expected: false };
    case 'shutdown':
    case 'terminate':
      return { phase: 'stopping', expected: true };
    default:
      return { phase: 'runtime', expected: false };
  }
}

/** `assign` for an exit seen in `state`. */
const recordExit = (state: 'starting' | 'ready' | 'stopping') =>
  assign<WorkerContext, WorkerEvent, undefined, WorkerEvent, never>({
    exit: ({ context, event }) => {
      const exit = event as Extract<WorkerFact, { type: 'cluster.exit' }>;
      return {
        id: context.id,
        pid: context.pid,
        slot: context.slot,
        generation: context.generation,
        code: exit.code,
        signal: exit.signal,
        ...classify(state, context.stopReason),
        reason: context.stopReason,
        age: context.forkAt === null ? 0 : Math.max(0, exit.at - context.forkAt),
        at: exit.at,
      };
    },
  });

const stopFor = (reason: StopReason) => assign<WorkerContext, WorkerEvent, undefined, WorkerEvent, never>({ stopReason: reason });

/** The control asked for this stop (shutdown or terminate); any other reason is a failure. */
export const isRequested = (reason: StopReason | null): boolean => reason === 'shutdown' || reason === 'terminate';

/** A request from the control overrides a failure reason: the exit is then expected. */
const requested = (reason: 'shutdown' | 'terminate') =>
  assign<WorkerContext, WorkerEvent, undefined, WorkerEvent, never>({
    stopReason: ({ context }) => (isRequested(context.stopReason) ? context.stopReason : reason),
  });

export const workerMachine = setup({
  types: {
    input: {} as WorkerInput,
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    output: {} as WorkerExit,
  },
  actions: {
    /** Fork the process (runtime: port.fork with the slot's env). */
    fork: (_, _params: { id: number; slot: number; generation: number }) => {},
    /** Send the shutdown message and call `worker.disconnect()`. */
    disconnect: (_, _params: { id: number }) => {},
    /** Send a signal to the worker's process tree. */
    signal: (_, _params: { id: number; signal: 'SIGTERM' | 'SIGKILL' }) => {},
    /** Tell the control (the parent actor) about a step it must react to. */
    notifyControl: sendParent((_, notice: WorkerNotice) => notice),
  },
  guards: {
    adopted: ({ context }) => context.adopted,
    readyOnOnline: ({ context }) => context.readyOn === 'online',
    readyOnListening: ({ context }) => context.readyOn === 'listening',
    readyOnMessage: ({ context }) => context.readyOn === 'message',
  },
  delays: {
    startupTimeout: ({ context }) => context.startupTimeout,
    /** What is left of the startup timeout once the worker is online. */
    bootTimeout: ({ context }) =>
      context.forkAt === null || context.onlineAt === null
        ? context.startupTimeout
        : Math.max(0, context.startupTimeout - (context.onlineAt - context.forkAt)),
    shutdownTimeout: ({ context }) => context.shutdownTimeout,
    terminateTimeout: ({ context }) => context.terminateTimeout,
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    id: input.id,
    slot: input.slot,
    generation: input.generation,
    readyOn: input.readyOn,
    startupTimeout: input.startupTimeout,
    shutdownTimeout: input.shutdownTimeout,
    terminateTimeout: input.terminateTimeout,
    adopted: input.adopted ?? false,
    pid: input.pid ?? null,
    forkAt: input.forkAt ?? null,
    onlineAt: null,
    stopReason: null,
    exit: null,
  }),
  output: ({ context }) => context.exit as WorkerExit,
  initial: 'starting',
  on: {
    'cluster.fork': {
      actions: assign({
        pid: ({ event }) => event.pid,
        forkAt: ({ context, event }) => context.forkAt ?? event.at,
      }),
    },
  },
  states: {
    starting: {
      entry: enqueueActions(({ context, enqueue, check }) => {
        if (check('adopted')) return;
        enqueue({ type: 'fork', params: { id: context.id, slot: context.slot, generation: context.generation } });
      }),
      after: {
        startupTimeout: { target: 'exiting', actions: stopFor('startupTimeout') },
      },
      on: {
        'cluster.online': { target: 'online', actions: assign({ onlineAt: ({ event }) => event.at }) },
        'cluster.exit': { target: 'exited', actions: recordExit('starting') },
        // No IPC channel before `online`: a shutdown can only be a SIGTERM.
        'control.shutdown': { target: 'exiting', actions: requested('shutdown') },
        'control.terminate': { target: 'exiting', actions: requested('terminate') },
      },
    },
    online: {
      initial: 'booting',
      on: {
        'control.shutdown': { target: 'disconnecting', actions: requested('shutdown') },
        'control.terminate': { target: 'exiting', actions: requested('terminate') },
      },
      states: {
        booting: {
          always: { guard: 'readyOnOnline', target: 'ready' },
          after: {
            bootTimeout: { target: '#worker.exiting', actions: stopFor('startupTimeout') },
          },
          on: {
            'cluster.listening': { guard: 'readyOnListening', target: 'ready' },
            'worker.ready': { guard: 'readyOnMessage', target: 'ready' },
            'cluster.exit': { target: '#worker.exited', actions: recordExit('starting') },
            'cluster.disconnect': { target: '#worker.disconnecting', actions: stopFor('startupDisconnect') },
          },
        },
        ready: {
          entry: { type: 'notifyControl', params: ({ context }) => ({ type: 'worker.serving', id: context.id }) },
          on: {
            'cluster.exit': { target: '#worker.exited', actions: recordExit('ready') },
            'cluster.disconnect': { target: '#worker.disconnecting', actions: stopFor('disconnect') },
          },
        },
      },
    },
    disconnecting: {
      // A worker that disconnected on its own has no channel left to close, and the control
      // did not shut it down: it is only waited for, and terminated if it lingers.
      entry: enqueueActions(({ context, enqueue }) => {
        if (!isRequested(context.stopReason)) return void enqueue({ type: 'notifyControl', params: { type: 'worker.failing', id: context.id } });
        enqueue({ type: 'disconnect', params: { id: context.id } });
        enqueue({ type: 'notifyControl', params: { type: 'worker.stopping', id: context.id, how: 'shutdown' } });
      }),
      after: { shutdownTimeout: 'exiting' },
      on: {
        'cluster.exit': { target: 'exited', actions: recordExit('stopping') },
        'control.shutdown': { actions: requested('shutdown') },
        'control.terminate': { target: 'exiting', actions: requested('terminate') },
      },
    },
    exiting: {
      initial: 'terminating',
      on: {
        'cluster.exit': { target: 'exited', actions: recordExit('stopping') },
        'control.shutdown': { actions: requested('shutdown') },
        'control.terminate': { actions: requested('terminate') },
      },
      states: {
        terminating: {
          entry: [
            { type: 'signal', params: ({ context }) => ({ id: context.id, signal: 'SIGTERM' as const }) },
            { type: 'notifyControl', params: ({ context }) => ({ type: 'worker.stopping', id: context.id, how: 'terminate' }) },
          ],
          after: { terminateTimeout: 'killing' },
        },
        killing: {
          entry: [
            { type: 'signal', params: ({ context }) => ({ id: context.id, signal: 'SIGKILL' as const }) },
            { type: 'notifyControl', params: ({ context }) => ({ type: 'worker.stopping', id: context.id, how: 'kill' }) },
          ],
        },
      },
    },
    exited: { type: 'final' },
  },
});

export type WorkerMachine = typeof workerMachine;
