/** Starts bench/lib/load-child.mjs; `stop()` resolves with its counts. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function startLoad(port, ledger, { keepAlive = 10, close = 10 } = {}) {
  const child = fork(fileURLToPath(new URL('load-child.mjs', import.meta.url)), [JSON.stringify({ port, keepAlive, close })], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  ledger.add(child.pid);
  const running = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', () => reject(new Error('load generator exited')));
  });
  return {
    running,
    stop() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('load generator did not stop')), 10_000);
        child.on('message', (m) => {
          if (m.ev !== 'result') return;
          clearTimeout(timer);
          resolve(m.result);
        });
        child.send({ cmd: 'stop' });
      });
    },
  };
}
