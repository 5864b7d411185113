// Drives a simulated cluster's clock until `promise` settles (50 ms steps, a microtask between).
export function settlerOf(sim) {
  return async (promise) => {
    let done = false;
    promise.then(() => (done = true));
    while (!done) {
      sim.clock.advance(50);
      await Promise.resolve();
    }
  };
}
