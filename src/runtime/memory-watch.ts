/**
 * maxMemory's reading: the `memoryWatch` actor the control machine invokes while running. Every
 * memoryCheckInterval it asks the agents of the ready workers for their memory (rss) and sends
 * the control a `control.overMemory` for each worker over the limit; the machine decides what
 * follows (the worker retires: the reconciler forks its replacement, and shuts it down once
 * that one is ready). Without maxMemory it reads nothing.
 */
import { fromCallback } from 'xstate';
import type { MemoryReading } from '../machines/control.machine.js';
import type { SupervisionSettings } from '../options.js';
import type { Clock, ClusterPort } from './cluster-port.js';

/** How long a reading waits for one agent's answer: a worker busy for longer is read next time. */
const READ_TIMEOUT_MS = 1000;

export interface MemoryWatchInput {
  settings: Pick<SupervisionSettings, 'maxMemory' | 'memoryCheckInterval'>;
  port: Pick<ClusterPort, 'stats'>;
  clock: Clock;
  /** The ids of the workers that are ready now. */
  readyWorkers: () => readonly number[];
  /** A port whose stats() rejected (a custom one): reported, and the watch goes on. */
  onError: (error: unknown) => void;
}

export function memoryWatch({ settings, port, clock, readyWorkers, onError }: MemoryWatchInput) {
  return fromCallback<MemoryReading>(({ sendBack }) => {
    const { maxMemory, memoryCheckInterval } = settings;
    if (maxMemory === null) return undefined;
    let stopped = false;
    /** A reading still waiting for answers: the next tick skips rather than asks twice. */
    let reading = false;
    const read = async () => {
      reading = true;
      try {
        const readings = await Promise.all(readyWorkers().map(async (id) => ({ id, stats: await port.stats(id, READ_TIMEOUT_MS) })));
        if (stopped) return;
        for (const { id, stats } of readings) if (stats !== null && stats.memory > maxMemory) sendBack({ type: 'control.overMemory', id, memory: stats.memory });
      } catch (error) {
        onError(error);
      } finally {
        reading = false;
      }
    };
    // On a fixed beat, armed before each reading: a slow answer does not push the next one back.
    let timer: unknown;
    const tick = () => {
      timer = clock.setTimeout(tick, memoryCheckInterval);
      if (!reading) void read();
    };
    timer = clock.setTimeout(tick, memoryCheckInterval);
    return () => {
      stopped = true;
      clock.clearTimeout(timer);
    };
  });
}
