// The demo: examples/hello-http.js (an app with no clusterchart code) under
// `clusterchart run --size 2`, then, from another "terminal", `clusterchart status`,
// `clusterchart restart --wait` and `clusterchart stop`, with the app answering requests
// before and after the restart. Expects `npm run build` to have run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.error('demo: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'clusterchart-demo-'));
const sock = join(dir, 'control.sock');
const port = await freePort();
const env = { ...process.env, PORT: String(port) };
const say = (text) => process.stdout.write(`\n${text}\n`);

say(`$ PORT=${port} clusterchart run examples/hello-http.js --size 2 --control ${sock} --dashboard 0`);
const run = spawn(process.execPath, [cli, 'run', 'examples/hello-http.js', '--size', '2', '--control', sock, '--dashboard', '0'], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const lines = [];
const waiters = new Set();
let buffer = '';
run.stdout.setEncoding('utf8').on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) !== -1) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    lines.push(line);
    process.stdout.write(`  run │ ${line}\n`);
    for (const waiter of [...waiters]) waiter();
  }
});
const exited = new Promise((resolve) => run.on('exit', (code, signal) => resolve({ code, signal })));

try {
  await waitForLine(/workers? ready in/, 15_000);
  await request();
  await command(['status']);
  await command(['restart', '--wait']);
  await request();
  await command(['stop']);
  const { code, signal } = await within(exited, 15_000, 'the run process to exit');
  say(`clusterchart run exited with status ${code ?? signal}.`);
  if (code !== 0) throw new Error(`clusterchart run exited with ${code ?? signal}`);
} catch (error) {
  console.error(`demo failed: ${error.message}`);
  run.kill('SIGKILL');
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `clusterchart <args>` like a user in a second terminal, showing its output. */
async function command(args) {
  say(`$ clusterchart ${args.join(' ')} --control ${sock}`);
  const child = spawn(process.execPath, [cli, ...args, '--control', sock], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const { code } = await within(new Promise((resolve) => child.on('exit', (c) => resolve({ code: c }))), 30_000, `clusterchart ${args[0]}`);
  if (code !== 0) throw new Error(`clusterchart ${args.join(' ')} exited with ${code}`);
}

/** One request to the app, as `curl` would show it. */
async function request() {
  say(`$ curl http://127.0.0.1:${port}/`);
  const body = await within(
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d) => (text += d));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    }),
    5_000,
    'the app to answer',
  );
  process.stdout.write(body);
}

function waitForLine(pattern, ms) {
  return within(
    new Promise((resolve, reject) => {
      const check = () => {
        if (lines.some((l) => pattern.test(l))) {
          waiters.delete(check);
          resolve();
        } else if (run.exitCode !== null) reject(new Error('clusterchart run exited early'));
      };
      waiters.add(check);
      run.on('exit', check);
      check();
    }),
    ms,
    `a line matching ${pattern}`,
  );
}

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
