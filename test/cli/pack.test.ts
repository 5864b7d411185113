/**
 * The package as a user gets it: `npm pack`, installed into a clean folder, then
 * `npx clusterchart --help` and `npx clusterchart run` on an example app, steered with
 * `npx clusterchart status` and `stop`. The bin has its shebang and execute bit, the worker
 * agent is found inside the installed package (status shows memory), and the app answers.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type StatusJson, cleanEnv, cli, killStarted, requireBuild, root, startRun, tempDir, within } from './helpers.js';

let folder: string;
let remove: () => void;
let sock: string;
const npx = ['npx', '--no', '--', 'clusterchart'];

beforeAll(() => {
  requireBuild();
  const t = tempDir('cc-pack-');
  ({ dir: folder, remove, sock } = t);
  execFileSync('npm', ['pack', '--pack-destination', folder, '--silent'], { cwd: root, stdio: 'pipe' });
  const tarball = readdirSync(folder).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', join(folder, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--silent'], { cwd: folder, stdio: 'pipe' });
  // The example app, as a user would have it next to their package.json.
  copyFileSync(join(root, 'examples', 'hello-http.js'), join(folder, 'app.mjs'));
}, 180_000);

afterEach(killStarted);
afterAll(() => remove?.());

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function get(port: number): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    }),
    5_000,
    () => `GET http://127.0.0.1:${port}/`,
  );
}

it('installs a clusterchart bin with a shebang, executable', () => {
  const bin = join(folder, 'node_modules', 'clusterchart', 'dist', 'cli.js');
  expect(statSync(bin).mode & 0o111).not.toBe(0);
  const link = join(folder, 'node_modules', '.bin', 'clusterchart');
  expect(statSync(link).isFile()).toBe(true);
});

it('ships its licence and every file its README links to', () => {
  const installed = join(folder, 'node_modules', 'clusterchart');
  expect(existsSync(join(installed, 'LICENSE'))).toBe(true);
  const readme = readFileSync(join(installed, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\((?!https?:|#)([^)#]+)/g)].map((m) => m[1]!);
  expect(links.length).toBeGreaterThan(3);
  expect(links.filter((link) => !existsSync(join(installed, link)))).toEqual([]);
});

it('npx clusterchart --help', async () => {
  const result = await cli(['--help'], { cwd: folder, bin: npx });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^clusterchart \d+\.\d+\.\d+: /);
  expect(result.stdout).toContain('Usage: clusterchart <command> [options]');
});

it('npx clusterchart run serves the example app, answers status and stops', async () => {
  const port = await freePort();
  const env = cleanEnv({ PORT: String(port) });
  const run = await startRun(['app.mjs', '--size', '2'], { cwd: folder, env, sock, bin: npx });
  const status = await cli(['status', '--json', '--control', sock], { cwd: folder, bin: npx });
  expect(status.code).toBe(0);
  const { workers } = JSON.parse(status.stdout) as StatusJson;
  expect(workers.map((w) => w.state)).toEqual(['online.ready', 'online.ready']);
  // The agent shipped in the package was preloaded.
  for (const w of workers) expect(w.memory).toBeGreaterThan(0);
  const body = await get(port);
  expect(body).toMatch(/^hello from \d+\n$/);
  expect(workers.map((w) => w.pid)).toContain(Number(/\d+/.exec(body)![0]));

  const stop = await cli(['stop', '--control', sock], { cwd: folder, bin: npx });
  expect(stop).toMatchObject({ code: 0, stdout: 'stopped\n' });
  expect((await run.exited()).code).toBe(0);
}, 60_000);
