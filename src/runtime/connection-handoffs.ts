/**
 * Connections handed to a worker that dies before taking them.
 *
 * node:cluster's primary accepts each connection and hands it to a worker in a `newconn`
 * message, keeping its own copy of the socket until the worker answers (accepted, or
 * refused by a worker whose server is closing, which has node:cluster hand it to another).
 * A worker that dies before it reads that message never answers, and node:cluster then keeps
 * the socket open for good: its client waits forever for an answer (Node 20,
 * lib/internal/cluster/round_robin_handle.js; the channel closes only handles it sent of
 * other kinds). A crash, a SIGKILL, a kill by the kernel's OOM killer: any death of a worker
 * that is being handed connections can land in that window.
 *
 * Here every handoff is followed until its answer, and one still unanswered when its worker
 * is gone is refused in that worker's name, once node:cluster has let go of the worker:
 * node:cluster hands it to another worker, which answers the request. With no worker left
 * listening, the socket is closed instead, and its client sees the connection end.
 */
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:cluster';
import { type ClusterAnswer, isClusterAnswer, isClusterHandoff } from './agent-protocol.js';

/** The socket's handle as node:cluster holds it (a TCP or pipe handle, not a net.Socket). */
interface SocketHandle {
  close(): void;
}

interface Unanswered {
  worker: Worker;
  /** The listener's key: handoffs of one key come from one round-robin handle. */
  key: string;
  handle: SocketHandle;
}

/** Follows the handoffs of every worker given to `watch`; one per control. */
export function createHandoffWatch(): { watch(worker: Worker): void } {
  /** By node:cluster's sequence number, which is one counter for every worker. */
  const unanswered = new Map<number, Unanswered>();

  const refuseFor = (worker: Worker) => {
    const lost = [...unanswered].filter(([, handoff]) => handoff.worker === worker);
    for (const [seq, { key, handle }] of lost) {
      unanswered.delete(seq);
      // node:cluster's callback for this handoff: it hands the socket to a free worker at once
      // (a handoff followed here), or queues it behind a busy one's.
      worker.process.emit('internalMessage', { cmd: 'NODE_CLUSTER', ack: seq, accepted: false } satisfies ClusterAnswer, undefined);
      const queuedOrHandedOn = [...unanswered.values()].some((handoff) => handoff.key === key);
      // Neither: no worker listens on that key any more, and node:cluster closed its listener.
      if (!queuedOrHandedOn) handle.close();
    }
  };

  return {
    watch(worker) {
      const child = worker.process as ChildProcess & { send: (...args: unknown[]) => boolean };
      const send = child.send;
      child.send = function (this: ChildProcess, message: unknown, handle?: unknown, ...rest: unknown[]) {
        if (handle != null && isClusterHandoff(message)) unanswered.set(message.seq, { worker, key: message.key, handle: handle as SocketHandle });
        return send.call(this, message, handle, ...rest);
      };
      child.on('internalMessage', (message: unknown) => {
        if (isClusterAnswer(message)) unanswered.delete(message.ack);
      });
      // node:cluster lets go of a worker (its round-robin handles forget it) at its exit if the
      // channel has closed by then, or else when the channel closes. Refused before that, a
      // socket could be handed straight back to the dead worker.
      const settle = () => {
        if (worker.isDead() && !worker.isConnected()) refuseFor(worker);
      };
      worker.on('exit', settle);
      worker.on('disconnect', settle);
    },
  };
}
