/** `pm2 kill` for every PM2 home whose daemon still runs, then SIGKILL if it does not go. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, signal, waitGone } from './proc.mjs';

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

export async function killPm2Daemons(homes, pm2Bin) {
  for (const home of homes) {
    let pid;
    try {
      pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (!isAlive(pid)) continue;
    try {
      execFileSync(process.execPath, [pm2Bin, 'kill'], { env: { ...process.env, PM2_HOME: home, PM2_DISCRETE_MODE: 'true' }, stdio: 'ignore', timeout: 15_000 });
    } catch {}
    if ((await waitGone([pid], 2000)) === null && /pm2/i.test(commandOf(pid))) signal(pid, 'SIGKILL');
  }
}
