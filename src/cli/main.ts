#!/usr/bin/env node
/**
 * The `clusterchart` bin: wires the CLI to this process's argv and standard streams, and
 * sets the exit status. Everything else is in `create-cli.ts`.
 */
import { createCli } from './create-cli.js';

// A reader that went away (`clusterchart run app.js | head`) must not take the supervisor
// and its workers down with an EPIPE: output is dropped, supervision goes on.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const cli = createCli({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});

const argv = process.argv.slice(2);
void cli.run(argv).then((status) => {
  if (argv[0] === 'run') {
    // The supervised workers are gone; do not wait for anything the app's modules left behind.
    process.exit(status);
  }
  process.exitCode = status;
});
