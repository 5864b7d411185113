/**
 * The clock of a control: XState's clock plus `now()`. The runtime's is the system clock here;
 * tests pass the simulated cluster's, which only moves when told.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Node's longest timer; a longer one fires after 1 ms instead (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay longer than Node's timers allow: re-armed until it is due; Infinity never fires. */
class LongTimer {
  timer: NodeJS.Timeout | undefined;

  constructor(fn: () => void, timeout: number) {
    if (timeout === Infinity) return;
    const due = Date.now() + timeout;
    const arm = (left: number) => {
      this.timer = setTimeout(() => {
        const rest = due - Date.now();
        if (rest > 0) arm(rest);
        else fn();
      }, Math.min(left, MAX_TIMER_MS));
    };
    arm(timeout);
  }
}

/**
 * Durations are validated as ms ≥ 0, and startupTimeout may be Infinity ("no timeout"):
 * those beyond Node's timer range are kept as LongTimers, the rest are plain timers.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, timeout) => (timeout > MAX_TIMER_MS ? new LongTimer(fn, timeout) : setTimeout(fn, timeout)),
  clearTimeout: (id) => clearTimeout(id instanceof LongTimer ? id.timer : (id as NodeJS.Timeout)),
};
