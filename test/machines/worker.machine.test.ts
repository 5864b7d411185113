/**
 * The worker statechart on the simulated cluster: readiness per `readyOn`, the startup
 * timeout, the escalation disconnect → SIGTERM → SIGKILL, and how each exit is classified.
 */
import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { workerMachine } from '../../src/machines/worker.machine.js';
import { defaultSettings } from '../../src/options.js';
import { simulate } from '../helpers/simulation.js';

const stateOf = (s: ReturnType<typeof simulate>, id: number) => s.snapshot().context.workers[id]?.getSnapshot().value;

describe('readyOn', () => {
  test("'listening' (default): ready at the listening event", () => {
    const s = simulate({ size: 1 });
    s.start(0);
    expect(stateOf(s, 1)).toBe('starting');
    s.advance(10);
    expect(stateOf(s, 1)).toEqual({ online: 'booting' });
    s.advance(10);
    expect(stateOf(s, 1)).toEqual({ online: 'ready' });
    expect(s.times('ready')).toEqual([20]);
  });

  test("'message': the listening event is not enough, ready() is", () => {
    const s = simulate({ size: 1, readyOn: 'message' }, () => ({ readyAfter: 30 }));
    s.start(0);
    s.sim.clock.advance(10);
    expect(stateOf(s, 1)).toEqual({ online: 'booting' });
    // The simulated worker reports listening and ready() at the same instant; drive them apart:
    s.control.actor.send({ type: 'cluster.listening', id: 1, at: 15 });
    expect(stateOf(s, 1)).toEqual({ online: 'booting' });
    s.control.actor.send({ type: 'worker.ready', id: 1, at: 16 });
    expect(stateOf(s, 1)).toEqual({ online: 'ready' });
  });

  test("'listening' ignores ready() messages", () => {
    const s = simulate({ size: 1 }, () => ({ readyAfter: null }));
    s.start(20);
    s.control.actor.send({ type: 'worker.ready', id: 1, at: 20 });
    expect(stateOf(s, 1)).toEqual({ online: 'booting' });
  });

  test("'online': ready as soon as the worker is online", () => {
    const s = simulate({ size: 1, readyOn: 'online' }, () => ({ readyAfter: null }));
    s.start(0);
    s.advance(10);
    expect(stateOf(s, 1)).toEqual({ online: 'ready' });
    expect(s.times('ready')).toEqual([10]);
  });
});

describe('startupTimeout', () => {
  test('a worker never ready is terminated at startupTimeout, counted from the fork', () => {
    const s = simulate({ size: 1, startupTimeout: 1000, maxRestarts: Infinity }, () => ({ readyAfter: null }));
    s.start(999);
    expect(stateOf(s, 1)).toEqual({ online: 'booting' });
    s.advance(1);
    expect(stateOf(s, 1)).toEqual({ exiting: 'terminating' });
    expect(s.sim.calls.filter((c) => c.call === 'signal')).toEqual([{ at: 1000, call: 'signal', id: 1, detail: 'SIGTERM' }]);
    s.advance(1);
    const [exit] = s.of('exit');
    expect(exit?.exit).toMatchObject({ id: 1, phase: 'startup', expected: false, signal: 'SIGTERM', age: 1001, reason: 'startupTimeout' });
  });

  test('a worker that never comes online is terminated at startupTimeout too', () => {
    const s = simulate({ size: 1, startupTimeout: 500, maxRestarts: Infinity }, () => ({ onlineAfter: 10_000 }));
    s.start(500);
    expect(stateOf(s, 1)).toEqual({ exiting: 'terminating' });
  });
});

describe('escalation', () => {
  test('disconnect, then SIGTERM at shutdownTimeout, then SIGKILL at + terminateTimeout', () => {
    const s = simulate({ size: 1 }, () => ({ ignoreDisconnect: true, ignoreTerm: true }));
    s.start(100);
    void s.control.shutdown(1);
    expect(stateOf(s, 1)).toBe('disconnecting');
    s.advance(4999);
    expect(stateOf(s, 1)).toBe('disconnecting');
    s.advance(1);
    expect(stateOf(s, 1)).toEqual({ exiting: 'terminating' });
    s.advance(4999);
    expect(stateOf(s, 1)).toEqual({ exiting: 'terminating' });
    s.advance(1);
    expect(stateOf(s, 1)).toEqual({ exiting: 'killing' });
    const effects = s.sim.calls.filter((c) => c.id === 1 && c.call !== 'fork').map((c) => [c.at, c.call, c.detail]);
    expect(effects).toEqual([
      [100, 'disconnect', undefined],
      [5100, 'signal', 'SIGTERM'],
      [10100, 'signal', 'SIGKILL'],
    ]);
    expect(s.of('shutdown').map((e) => e.at)).toEqual([100]);
    expect(s.of('terminate').map((e) => e.at)).toEqual([5100]);
    expect(s.of('kill').map((e) => e.at)).toEqual([10100]);
    s.advance(1);
    expect(s.of('exit')[0]?.exit).toMatchObject({ phase: 'stopping', expected: true, signal: 'SIGKILL' });
  });

  test('terminate while disconnecting sends SIGTERM at once', () => {
    const s = simulate({ size: 1 }, () => ({ ignoreDisconnect: true }));
    s.start(100);
    void s.control.shutdown(1);
    s.advance(50);
    void s.control.terminate(1);
    expect(stateOf(s, 1)).toEqual({ exiting: 'terminating' });
    expect(s.sim.calls.filter((c) => c.call === 'signal')).toEqual([{ at: 150, call: 'signal', id: 1, detail: 'SIGTERM' }]);
  });
});

describe('exit classification', () => {
  test('an exit before online is a startup failure', () => {
    const s = simulate({ size: 1, maxRestarts: Infinity }, () => ({ exitAtStart: true }));
    s.start(10);
    expect(s.of('exit')[0]?.exit).toMatchObject({ phase: 'startup', expected: false, code: 1, age: 10 });
  });

  test('a crash while ready is a runtime failure; a requested shutdown is expected', () => {
    const s = simulate({ size: 2 });
    s.start(3000);
    s.sim.crash(1, 7);
    void s.control.shutdown(2);
    s.advance(10);
    const exits = s.of('exit').map((e) => e.exit);
    expect(exits.find((e) => e.id === 1)).toMatchObject({ phase: 'runtime', expected: false, code: 7, age: 3000 });
    expect(exits.find((e) => e.id === 2)).toMatchObject({ phase: 'stopping', expected: true, code: 0 });
  });

  test('an unrequested disconnect is a runtime failure; before ready, a startup failure', () => {
    const s = simulate({ size: 1, maxRestarts: Infinity }, ({ id }) => (id === 1 ? { disconnectAfter: 3000 } : { readyAfter: 100, disconnectAfter: 50 }));
    s.start(3010);
    expect(stateOf(s, 1)).toBe('disconnecting');
    s.advance(1);
    expect(s.of('exit')[0]?.exit).toMatchObject({ id: 1, phase: 'runtime', expected: false, reason: 'disconnect' });
    s.advance(70);
    expect(s.of('exit')[1]?.exit).toMatchObject({ id: 2, phase: 'startup', expected: false, reason: 'startupDisconnect' });
    // Neither was shut down: the control announces no shutdown and calls no disconnect.
    expect(s.of('disconnect').map((e) => e.worker.id)).toEqual([1, 2]);
    expect(s.of('shutdown')).toEqual([]);
    expect(s.sim.calls.filter((c) => c.call === 'disconnect')).toEqual([]);
  });

  test('a shutdown before online can only terminate (no IPC channel yet)', () => {
    const s = simulate({ size: 1 }, () => ({ onlineAfter: 100 }));
    s.start(5);
    void s.control.shutdown(1);
    expect(stateOf(s, 1)).toEqual({ exiting: 'terminating' });
    s.advance(1);
    expect(s.of('exit')[0]?.exit).toMatchObject({ phase: 'stopping', expected: true });
  });

  test('a control request makes a failing worker\'s exit expected', () => {
    const s = simulate({ size: 1 }, () => ({ disconnectAfter: 3000 }));
    s.start(3010);
    expect(stateOf(s, 1)).toBe('disconnecting');
    void s.control.stop();
    s.advance(2);
    expect(s.of('exit')[0]?.exit).toMatchObject({ expected: true, phase: 'stopping' });
  });
});

test('standalone: the machine runs without a control when notifyControl is provided', () => {
  const actor = createActor(workerMachine.provide({ actions: { notifyControl: () => {} } }), {
    input: { ...defaultSettings, id: 7, slot: 0, generation: 1 },
  }).start();
  actor.send({ type: 'cluster.fork', id: 7, pid: 42, at: 0 });
  actor.send({ type: 'cluster.online', id: 7, at: 5 });
  actor.send({ type: 'cluster.listening', id: 7 });
  actor.send({ type: 'cluster.exit', id: 7, code: 0, signal: null, at: 2500 });
  expect(actor.getSnapshot().status).toBe('done');
  expect(actor.getSnapshot().output).toEqual({
    id: 7, pid: 42, slot: 0, generation: 1, code: 0, signal: null, phase: 'runtime', expected: false, reason: null, age: 2500, at: 2500,
  });
});
