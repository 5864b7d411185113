/**
 * A control on the simulated cluster behind a real control server on a temp socket, and a
 * raw line client to speak the protocol byte by byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControl } from '../../src/runtime/create-control.js';
import { type ScriptFor, createSimulatedCluster } from '../../src/runtime/simulated-cluster.js';
import type { SettingsInput } from '../../src/options.js';
import { type ControlServerOptions, createControlServer } from '../../src/server/control-server.js';
import { createControlClient } from '../../src/server/control-client.js';

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cc-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Rejects with `message` if `promise` has not settled within `ms` real milliseconds. */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

export async function simulatedServer(settings: SettingsInput = {}, serverOptions: ControlServerOptions = {}, scriptFor?: ScriptFor) {
  const { dir, remove } = tempDir();
  const path = join(dir, 'control.sock');
  const sim = createSimulatedCluster(scriptFor === undefined ? {} : { scriptFor });
  const control = createControl({ size: 2, ...settings, port: sim, clock: sim.clock, signals: false });
  const started = control.start();
  sim.clock.advance(100);
  await started;
  const server = await createControlServer(control, { path, ...serverOptions });
  const sockets = new Set<Socket>();

  /** Moves simulated time forward in small steps, letting real I/O run, until `promise` settles. */
  async function drive<T>(promise: Promise<T>, { step = 10, limit = 100_000 } = {}): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (let t = 0; !settled && t < limit; t += step) {
      await turn();
      if (!settled) sim.clock.advance(step);
    }
    if (!settled) throw new Error(`not settled after ${limit} simulated ms`);
    return promise;
  }

  /** A raw connection: write bytes, read whole lines as parsed JSON. */
  async function raw() {
    const socket = connect({ path });
    sockets.add(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const lines: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        lines.push(JSON.parse(rest.slice(0, nl)) as Record<string, unknown>);
        rest = rest.slice(nl + 1);
      }
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    return {
      socket,
      lines,
      ended,
      send: (text: string | Buffer) => socket.write(text),
      /** Waits (bounded) until `count` lines have arrived. */
      async read(count: number, ms = 5_000): Promise<Array<Record<string, unknown>>> {
        await within(
          new Promise<void>((resolve) => {
            const check = () => (lines.length >= count ? resolve() : waiters.push(check));
            check();
          }),
          ms,
          `${count} lines from the server (got ${lines.length}: ${JSON.stringify(lines).slice(0, 300)})`,
        );
        return lines.slice(0, count);
      },
    };
  }

  return {
    sim,
    control,
    server,
    path,
    dir,
    drive,
    raw,
    client: () => createControlClient({ path }),
    async cleanup() {
      for (const socket of sockets) socket.destroy();
      await server.close();
      control.close();
      remove();
    },
  };
}
