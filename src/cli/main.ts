#!/usr/bin/env node
/**
 * The `clusterchart` bin: wires the CLI to this process's argv and standard streams, and
 * sets the exit status. Everything else is in `create-cli.ts`.
 */
import { createCli } from './create-cli.js';
import { exitStatus } from './exit-status.js';

const argv = process.argv.slice(2);
const supervising = argv[0] === 'run';

/**
 * `run`: a reader that went away (`clusterchart run app.js | head`) must not take the
 * supervisor and its workers down with an EPIPE: output is dropped, supervision goes on.
 * Any other command ends: at EPIPE with its status so far (`clusterchart events | head -1`
 * has what it wanted, and would otherwise follow until the control stops); at any other
 * error (`diagram > /dev/full`: ENOSPC) with exit 1, since its output is incomplete.
 */
function onOutputError(stream: NodeJS.WriteStream, error: NodeJS.ErrnoException): void {
  if (supervising) return;
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? exitStatus.ok);
  if (stream === process.stdout) process.stderr.write(`clusterchart: cannot write the output: ${error.message}\n`);
  process.exit(exitStatus.failed);
}
for (const stream of [process.stdout, process.stderr]) stream.on('error', (error) => onOutputError(stream, error));

const cli = createCli({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});

void cli.run(argv).then((status) => {
  if (supervising) {
    // The supervised workers are gone; do not wait for anything the app's modules left behind.
    process.exit(status);
  }
  process.exitCode = status;
});
