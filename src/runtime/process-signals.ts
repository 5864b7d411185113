/**
 * Process integration of a control: SIGINT/SIGTERM stop gracefully and then exit (a second
 * one forces the stop), SIGHUP restarts, give-up exits 1, and on `exit` every worker gets
 * SIGKILL synchronously so none is ever orphaned. Embedders who own their signals pass
 * `signals: false` and call these themselves.
 */
import type { ClusterPort } from './cluster-port.js';
import type { Control } from './create-control.js';

export function bindProcessSignals(control: Control, port: ClusterPort): () => void {
  const onStopSignal = () => {
    // The control's own state says whether this is the first stop request or the second.
    const stopping = control.actor.getSnapshot().matches('stopping');
    control.stop({ force: stopping }).then(
      () => process.exit(control.actor.getSnapshot().context.stopReason === 'giveup' ? 1 : 0),
      () => process.exit(1),
    );
  };
  const onHangup = () => {
    control.restart().catch(() => {});
  };
  const onExit = () => port.killAll();
  const onGiveUp = () => {
    control.stop().finally(() => process.exit(1));
  };

  process.on('SIGINT', onStopSignal);
  process.on('SIGTERM', onStopSignal);
  process.on('SIGHUP', onHangup);
  process.on('exit', onExit);
  control.on('giveup', onGiveUp);
  return () => {
    process.off('SIGINT', onStopSignal);
    process.off('SIGTERM', onStopSignal);
    process.off('SIGHUP', onHangup);
    process.off('exit', onExit);
    control.off('giveup', onGiveUp);
  };
}
