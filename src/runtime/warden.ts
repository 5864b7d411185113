/**
 * The orphan warden: one small shell process per control that outlives it just long enough
 * to take its workers down. The control writes the pids of its live workers to the warden's
 * stdin whenever they change; when the control dies, even by SIGKILL, the kernel closes the
 * pipe, and the warden freezes the last workers it was told of, finds their descendants in
 * /proc, and SIGKILLs them all.
 *
 * Node ends a worker whose control is gone only when its main thread is free; a blocked one
 * (a busy loop, a long synchronous call) would run on forever, and a worker killed by signal
 * leaves its own children behind. A watchdog thread in every worker covers both, at ~11 MB and
 * ~28 ms of CPU per worker; the warden does it once per control, for about 1 MB, and for
 * workers without the agent too. It runs only while there are workers, and exits when the
 * control closes it or dies.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Warden {
  /** The pids to take down if the control dies (replaces the previous list). */
  watch(pids: readonly number[]): void;
  /** Ends the warden without killing anything. */
  close(): void;
}

/**
 * POSIX sh, run as `sh -c`. Reads pid lists, one per line, until EOF; an empty last list
 * means "nothing to do". Stopping the workers first keeps a worker from exiting (and
 * orphaning its children, which would then escape the walk) while the tree is read.
 */
const WARDEN_SCRIPT = `
trap '' INT TERM HUP QUIT
pids=
while IFS= read -r line; do pids=$line; done
[ -n "$pids" ] || exit 0
kill -STOP $pids 2>/dev/null
tree=" $pids "
grown=1
while [ $grown = 1 ]; do
  grown=0
  for stat in /proc/[0-9]*/stat; do
    pid=\${stat#/proc/}; pid=\${pid%/stat}
    case "$tree" in *" $pid "*) continue ;; esac
    line=
    { IFS= read -r line < "$stat"; } 2>/dev/null
    [ -n "$line" ] || continue
    set -- \${line##*) }
    case "$tree" in *" $2 "*) tree="$tree$pid "; grown=1 ;; esac
  done
done
kill -KILL $tree 2>/dev/null
exit 0
`;

/**
 * `onError` hears once that the warden could not start (Windows, or no /bin/sh: some
 * containers); the control then relies on Node's own disconnect handling.
 */
export function createWarden(onError: (error: Error) => void): Warden {
  let child: ChildProcess | null = null;
  let warned = false;
  const warn = (error: Error) => {
    if (warned) return;
    warned = true;
    onError(error);
  };

  const start = (): ChildProcess | null => {
    if (process.platform === 'win32') {
      warn(new Error('no /bin/sh on Windows'));
      return null;
    }
    const warden = spawn('/bin/sh', ['-c', WARDEN_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
    warden.on('error', warn);
    warden.stdin?.on('error', () => {});
    warden.once('exit', () => {
      if (child === warden) child = null;
    });
    // Never what keeps the control's event loop alive.
    warden.unref();
    (warden.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return warden;
  };

  const close = () => {
    const warden = child;
    child = null;
    warden?.stdin?.end('\n');
  };

  return {
    watch(pids) {
      if (pids.length === 0) return close();
      child ??= start();
      child?.stdin?.write(`${pids.join(' ')}\n`);
    },
    close,
  };
}
