/**
 * The dashboard's live feed, as Server-Sent Events. Each client gets:
 * - `transition` and `event` messages the moment the control emits them (synchronously, in
 *   the listener: no timer between a worker's transition and the bytes on the socket);
 * - `status` messages (the whole `control.status()`), refreshed after every burst of events
 *   and sampled every `sampleInterval` ms for uptime and memory.
 * Every message carries `seq`, the number of events sent so far; a status carries the `seq`
 * at the instant it was read, so a page can drop a status older than a transition it has
 * already applied (a fresh one is always on its way). Closing sends a last status first, so
 * a page left open shows how the control ended (`stopped`, `gaveUp`). A client that stops
 * reading is dropped once `maxBuffered` bytes wait for it, instead of growing the control.
 */
import type { ServerResponse } from 'node:http';
import type { Control, ControlEventMap, ControlEventType, ControlStatus } from '../runtime/create-control.js';
import { controlEventTypes } from '../runtime/control-events.js';

export interface EventStreamOptions {
  /** ms between status samples while a client is connected. Default 2000. */
  sampleInterval?: number;
  /** Bytes queued for a client that does not read before it is dropped. Default 1 MiB. */
  maxBuffered?: number;
}

export interface EventStream {
  /** Starts streaming to a GET response: headers, then the current status, then live messages. */
  attach(res: ServerResponse): void;
  /** Connected clients. */
  size(): number;
  /**
   * Stops following the control and ends every response after a last status; resolves once
   * the responses are flushed (a client that does not read is waited for at most 1 s).
   */
  close(): Promise<void>;
}

/** How long close() waits for the last bytes to reach clients that read slowly. */
const FLUSH_MS = 1000;

/**
 * What the page does not show in its log: transitions have their own kind of message, an
 * app's messages are its own business, and `listening` comes with every `ready`.
 */
const unfollowed = ['transition', 'message', 'listening'] as const;
type Followed = Exclude<ControlEventType, (typeof unfollowed)[number]>;

/** Everything the page shows in its log: every other event a control emits (a new one too). */
const followed = controlEventTypes.filter((type): type is Followed => !(unfollowed as readonly string[]).includes(type));

export function createEventStream(control: Control, options: EventStreamOptions = {}): EventStream {
  const sampleInterval = options.sampleInterval ?? 2000;
  const maxBuffered = options.maxBuffered ?? 1024 * 1024;
  const clients = new Set<ServerResponse>();
  let seq = 0;
  let refreshing = false;
  let again = false;
  let closed = false;
  let sampler: NodeJS.Timeout | undefined;

  const write = (res: ServerResponse, type: string, data: unknown) => {
    if (res.destroyed) return;
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    if (res.writableLength > maxBuffered) res.destroy();
  };
  const broadcast = (type: string, data: unknown) => {
    for (const res of clients) write(res, type, data);
  };

  const readStatus = async (): Promise<{ seq: number; status: ControlStatus } | null> => {
    const at = seq;
    try {
      return { seq: at, status: await control.status() };
    } catch {
      return null;
    }
  };
  /** One status read at a time; events during a read ask for one more. */
  const refresh = () => {
    if (closed || clients.size === 0) return;
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    // After the current step: the machine has settled when its listeners are called.
    setImmediate(async () => {
      const result = await readStatus();
      refreshing = false;
      if (result !== null && !closed) broadcast('status', result);
      if (again) {
        again = false;
        refresh();
      }
    });
  };

  const onTransition = ({ worker, from, to }: ControlEventMap['transition']) => {
    seq += 1;
    broadcast('transition', { seq, worker, from, to });
    refresh();
  };
  const onEvent = (event: ControlEventMap[Followed]) => {
    seq += 1;
    const data = event.type === 'error' ? { type: 'error', error: describe(event.error) } : event;
    broadcast('event', { seq, ...data });
    refresh();
  };
  control.on('transition', onTransition);
  for (const type of followed) control.on(type, onEvent);

  const stopSampling = () => {
    clearInterval(sampler);
    sampler = undefined;
  };

  return {
    attach(res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');
      clients.add(res);
      res.on('close', () => {
        clients.delete(res);
        if (clients.size === 0) stopSampling();
      });
      void readStatus().then((result) => {
        if (result !== null && clients.has(res)) write(res, 'status', result);
      });
      if (sampler === undefined && sampleInterval > 0) {
        sampler = setInterval(refresh, sampleInterval);
        sampler.unref();
      }
    },
    size: () => clients.size,
    async close() {
      if (closed) return;
      closed = true;
      stopSampling();
      control.off('transition', onTransition);
      for (const type of followed) control.off(type, onEvent);
      const last = clients.size === 0 ? null : await readStatus();
      const flushed = [...clients].map((res) => {
        if (last !== null) write(res, 'status', last);
        return new Promise<void>((resolve) => {
          res.once('close', resolve);
          res.end(resolve);
        });
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(flushed), new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_MS)))]);
      clearTimeout(timer);
    },
  };
}

function describe(error: Error): { message: string; code?: string } {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
}
