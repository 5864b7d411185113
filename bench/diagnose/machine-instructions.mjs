// The machines' work counted in instructions, for comparing two builds on a noisy machine,
// where S10's wall time moves by ±20% between runs of the same code. S10's driver
// (bench/lib/machines-driver.mjs: rolling restarts of 16 workers) runs under valgrind's
// cachegrind, twice per seed: the instructions of a process that does 160 restarts less
// those of one that does 60, over 100, are one warm restart's. V8 runs with --predictable
// and fixed hash and random seeds, so a build gives the same count every time for one seed;
// a change of code can move V8's choices (inlining, GC timing) by a few per cent either
// way, so compare means over seeds.
//   node bench/diagnose/machine-instructions.mjs [build …]   (default: dist/index.cjs)
// A build is a CommonJS build of clusterchart whose `xstate` resolves (e.g. the dist/ of a
// `git worktree` with node_modules linked). Needs valgrind (Debian: apt install valgrind);
// about a minute per build and seed on 2 cores.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SEEDS = [1, 2, 3];
const [FEW, MANY] = [60, 160];

if (process.argv[2] === '--child') {
  const { loadMachines, timedRestarts } = await import('../lib/machines-driver.mjs');
  timedRestarts(loadMachines(process.argv[3]), { size: 16, restarts: Number(process.argv[4]) });
} else {
  const builds = process.argv.length > 2 ? process.argv.slice(2).map((b) => resolve(b)) : [fileURLToPath(new URL('../../dist/index.cjs', import.meta.url))];
  const self = fileURLToPath(import.meta.url);
  /** Instructions of one process doing `restarts` restarts. */
  const count = async (build, seed, restarts) => {
    const flags = ['--predictable', `--hash-seed=${seed}`, `--random-seed=${seed}`];
    const { stderr } = await run('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, ...flags, self, '--child', build, String(restarts)], {
      maxBuffer: 1 << 24,
    });
    const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
    if (refs === null) throw new Error(`no instruction count from valgrind:\n${stderr}`);
    return Number(refs[1].replaceAll(',', ''));
  };
  for (const build of builds) {
    const perRestart = [];
    for (const seed of SEEDS) {
      const [few, many] = await Promise.all([count(build, seed, FEW), count(build, seed, MANY)]);
      perRestart.push((many - few) / (MANY - FEW));
    }
    const mean = perRestart.reduce((a, b) => a + b, 0) / perRestart.length;
    const millions = (n) => `${(n / 1e6).toFixed(2)}M`;
    console.log(`${build}: ${millions(mean)} instructions per rolling restart of 16 workers (seeds ${SEEDS.join(', ')}: ${perRestart.map(millions).join(', ')})`);
  }
}
