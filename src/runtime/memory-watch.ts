/**
 * maxMemory's reading: the `memoryWatch` actor the control machine invokes while running. Every
 * memoryCheckInterval it reads the memory (rss) of the ready workers (from /proc through the
 * port where it can, else from their agents) and sends
 * the control a `control.overMemory` for each worker over the limit; the machine decides what
 * follows (the worker retires: the reconciler forks its replacement, and shuts it down once
 * that one is ready). Without maxMemory it reads nothing.
 */
import { type CallbackActorLogic, fromCallback } from 'xstate';
import type { MemoryReading } from '../machines/control.machine.js';
import type { SupervisionSettings } from '../options.js';
import type { Clock } from './clock.js';
import type { ClusterPort } from './cluster-port.js';

/** How long a reading waits for one agent's answer: a worker busy for longer is read next time. */
const READ_TIMEOUT_MS = 1000;

export interface MemoryWatchInput {
  settings: Pick<SupervisionSettings, 'maxMemory' | 'memoryCheckInterval'>;
  port: Pick<ClusterPort, 'stats' | 'rss'>;
  clock: Clock;
  /** The ids of the workers that are ready now. */
  readyWorkers: () => readonly number[];
  /** A port whose stats() rejected (a custom one): reported, and the watch goes on. */
  onError: (error: unknown) => void;
}

export function memoryWatch({ settings, port, clock, readyWorkers, onError }: MemoryWatchInput): CallbackActorLogic<MemoryReading> {
  return fromCallback<MemoryReading>(({ sendBack }) => {
    const { maxMemory, memoryCheckInterval } = settings;
    if (maxMemory === null) return undefined;
    let stopped = false;
    /** The port's own reading when it has one (a blocked worker's agent cannot answer), else the agent's. */
    const memoryOf = async (id: number) => port.rss?.(id) ?? (await port.stats(id, READ_TIMEOUT_MS))?.memory ?? null;
    /** A reading still waiting for answers: the next tick skips rather than asks twice. */
    let reading = false;
    const read = async () => {
      reading = true;
      try {
        const readings = await Promise.all(readyWorkers().map(async (id) => ({ id, memory: await memoryOf(id) })));
        if (stopped) return;
        for (const { id, memory } of readings) if (memory !== null && memory > maxMemory) sendBack({ type: 'control.overMemory', id, memory });
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
