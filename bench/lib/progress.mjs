/**
 * One status line for the whole bench: scenario i/N, tool, variant, run, elapsed time. On a
 * terminal it rewrites itself; elsewhere (CI, a pipe) it prints each step once.
 */
const tty = process.stderr.isTTY === true;

export function createProgress(total) {
  const started = performance.now();
  let last = '';
  const elapsed = () => {
    const s = Math.round((performance.now() - started) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  };
  const write = (text) => {
    if (tty) process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else if (text !== last) process.stderr.write(`${text}\n`);
    last = text;
  };
  return {
    elapsed,
    seconds: () => (performance.now() - started) / 1000,
    step({ index, scenario, title, tool = '', variant = '', run = 0, runs = 0 }) {
      const parts = [`[${elapsed()}]`, `scenario ${index}/${total} ${scenario} ${title}`];
      if (tool) parts.push(tool);
      if (variant) parts.push(variant);
      if (runs) parts.push(`run ${run}/${runs}`);
      write(parts.join(' · '));
    },
    /** A line that stays (a finished scenario, a warning). */
    note(text) {
      if (tty) process.stderr.write(`\r\x1b[K${text}\n`);
      else process.stderr.write(`${text}\n`);
      if (tty && last) write(last);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
