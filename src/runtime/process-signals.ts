/**
 * Process integration of a control: SIGINT/SIGTERM stop gracefully and then exit (a second
 * one forces the stop), SIGHUP restarts, give-up (or a failure of the control) exits 1, and
 * on `exit` every worker gets SIGKILL synchronously so none is ever orphaned. Embedders who
 * own their signals pass `signals: false` and call these themselves.
 */
import type { ClusterPort } from './cluster-port.js';
import type { Control } from './create-control.js';

export interface ProcessSignals {
  /** Removes every listener the binding added. */
  unbind(): void;
  /** The control failed and killed its workers: the process exits 1, as after a give-up. */
  failed(): void;
}

/**
 * Exits on the next turn of the event loop: calls the stop or give-up ended have rejected by
 * then, and the code awaiting them has run its handlers (an `await start()` in a try block
 * gets to its catch).
 */
const exitSoon = (code: number) => setImmediate(() => process.exit(code));

/**
 * A stop signal this soon after the one acted on was handled is that signal delivered twice,
 * not a second request: `timeout` and some scripts signal the process and then its whole
 * process group, which it is in, and the two deliveries are handled back to back. Forcing
 * the stop on it would SIGTERM workers that were draining. A person's double Ctrl-C is
 * slower than this.
 */
const DUPLICATE_SIGNAL_MS = 20;

export function bindProcessSignals(control: Control, port: ClusterPort): ProcessSignals {
  /** When the last stop signal acted on was handled (its handler's end: the stop's first step may take a while). */
  let handledAt = -Infinity;
  const onStopSignal = () => {
    if (performance.now() - handledAt < DUPLICATE_SIGNAL_MS) return;
    // The control's own state says whether this is the first stop request or the second.
    const stopping = control.actor.getSnapshot().matches('stopping');
    control.stop({ force: stopping }).then(
      () => exitSoon(control.actor.getSnapshot().context.stopReason === 'giveup' ? 1 : 0),
      () => exitSoon(1),
    );
    handledAt = performance.now();
  };
  const onHangup = () => {
    control.restart().catch(() => {});
  };
  const onExit = () => port.killAll();
  const onGiveUp = () => {
    // Exit 1 whatever the stop's outcome: a stop that rejects (the control failed, or was
    // closed meanwhile) must not end the process in an unhandled rejection instead.
    const exitFailed = () => exitSoon(1);
    control.stop().then(exitFailed, exitFailed);
  };

  process.on('SIGINT', onStopSignal);
  process.on('SIGTERM', onStopSignal);
  process.on('SIGHUP', onHangup);
  process.on('exit', onExit);
  control.on('giveup', onGiveUp);
  const unbind = () => {
    process.off('SIGINT', onStopSignal);
    process.off('SIGTERM', onStopSignal);
    process.off('SIGHUP', onHangup);
    process.off('exit', onExit);
    control.off('giveup', onGiveUp);
  };
  return {
    unbind,
    failed() {
      unbind();
      exitSoon(1);
    },
  };
}
