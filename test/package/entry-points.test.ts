/**
 * The package as npm would install it: `npm pack`, installed into an empty folder, loads
 * its ESM and CJS entry points and the `./worker` subpath, with types for each.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'clusterchart-pack-'));
  execFileSync('npm', ['pack', '--pack-destination', folder, '--silent'], { cwd: root, stdio: 'pipe' });
  const tarball = readdirSync(folder).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', join(folder, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--silent'], { cwd: folder, stdio: 'pipe' });
}, 120_000);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: folder, encoding: 'utf8' }).trim();

test('the ESM entry point loads', () => {
  expect(node(['--input-type=module', '-e', "import * as cc from 'clusterchart'; console.log(typeof cc.createControl, typeof cc.controlMachine)"])).toBe('function object');
});

test('the CJS entry point loads', () => {
  expect(node(['-e', "const cc = require('clusterchart'); console.log(typeof cc.createControl, typeof cc.workerMachine)"])).toBe('function object');
});

test('the ./worker subpath loads from ESM and CJS, and ready() is harmless outside a cluster', () => {
  expect(node(['--input-type=module', '-e', "import { ready } from 'clusterchart/worker'; ready(); console.log(typeof ready)"])).toBe('function');
  expect(node(['-e', "const { ready } = require('clusterchart/worker'); ready(); console.log(typeof ready)"])).toBe('function');
});

test('types ship for every entry point', () => {
  const dist = readdirSync(join(folder, 'node_modules', 'clusterchart', 'dist'));
  expect(dist).toEqual(expect.arrayContaining(['index.d.ts', 'index.d.cts', 'worker.d.ts', 'worker.d.cts']));
});

test('the entry point loads zod, prom-client and @viz-js/viz only when a feature needs them', () => {
  const loaded = (use: string) =>
    node([
      '-e',
      `const cc = require('clusterchart'); ${use}; console.log(JSON.stringify(['zod', 'prom-client', '@viz-js/viz'].filter((m) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + m + '/')))))`,
    ]);
  expect(JSON.parse(loaded(''))).toEqual([]);
  const control = 'const sim = cc.createSimulatedCluster(); const control = cc.createControl({ port: sim, clock: sim.clock, signals: false })';
  expect(JSON.parse(loaded(control))).toEqual([]);
  expect(JSON.parse(loaded(`${control}; cc.createMetrics(control)`))).toEqual(['prom-client']);
});

test('the CJS entry point loads node:http and node:crypto only for a dashboard, and node:fs/promises for neither', () => {
  // A script file, not `-e`: Node's own eval loads node:crypto.
  const builtins = ['http', 'crypto', 'fs/promises'];
  const loaded = (use: string) => {
    const probe = join(folder, 'builtins-probe.cjs');
    writeFileSync(
      probe,
      `const cc = require('clusterchart');
const sim = cc.createSimulatedCluster();
const control = cc.createControl({ port: sim, clock: sim.clock, signals: false });
const report = () => console.log(JSON.stringify(${JSON.stringify(builtins)}.filter((m) => process.moduleLoadList.includes('NativeModule ' + m))));
${use}`,
    );
    return JSON.parse(node([probe])) as string[];
  };
  expect(loaded('report()')).toEqual([]);
  expect(loaded('cc.createDashboard(control).then((dashboard) => (report(), dashboard.close()))')).toEqual(['http', 'crypto']);
});
