/**
 * `@statelyai/inspect` (the successor of `@xstate/inspect`, which supports only XState v4)
 * works with the `inspect` option of createControl on Node 20: a `createWebSocketInspector`
 * sends the control's and every worker's inspection events to a local
 * `createInspectorServer` relay, and a WebSocket client of the relay (standing in for the
 * Stately inspector page) receives `@xstate.actor` and `@xstate.snapshot` events.
 */
import { createServer, type AddressInfo } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createControl } from '../../src/runtime/create-control.js';
import { createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A free port: createInspectorServer takes a port but does not report the one it got for 0. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

interface Received {
  type: string;
  name?: string;
  sessionId: string;
  snapshot?: { value?: unknown; status?: string };
}

it('relays @xstate.actor and @xstate.snapshot events of a control and its workers over loopback', async () => {
  const port = await freePort();
  const relay = createInspectorServer({ port, autoOpen: false });
  cleanups.push(() => relay.stop());

  // The receiving end (what the relay's page would forward to the Stately inspector).
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const receiver = new WebSocket(`ws://127.0.0.1:${port}`);
  cleanups.push(() => receiver.terminate());
  receiver.on('message', (data) => {
    received.push(JSON.parse(String(data)) as Received);
    for (const wake of [...waiters]) wake();
  });
  await new Promise<void>((resolve, reject) => {
    receiver.once('open', () => resolve());
    receiver.once('error', reject);
  });

  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  cleanups.push(() => inspector.stop());
  const sim = createSimulatedCluster();
  const control = createControl({ size: 2, port: sim, clock: sim.clock, signals: false, inspect: inspector.inspect });
  cleanups.push(() => control.close());
  void control.start();
  sim.clock.advance(100);

  const readyWorkers = () =>
    new Set(received.filter((e) => e.type === '@xstate.snapshot' && JSON.stringify(e.snapshot?.value) === '{"online":"ready"}').map((e) => e.sessionId));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (readyWorkers().size === 2) finish(resolve);
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`2 workers never reached online.ready in the relayed snapshots; got ${received.length} events: ${[...new Set(received.map((e) => e.type))].join(', ')}`))), 5000);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      waiters.delete(check);
      settle();
    };
    waiters.add(check);
    check();
  });

  const actors = received.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
  expect(actors).toContain('control');
  expect(actors).toEqual(expect.arrayContaining(['worker-1', 'worker-2']));
  const controlSnapshots = received.filter((e) => e.type === '@xstate.snapshot' && typeof e.snapshot?.value === 'object' && e.snapshot.value !== null && 'running' in e.snapshot.value);
  expect(controlSnapshots.length).toBeGreaterThan(0);
});
