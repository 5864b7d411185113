/**
 * `--help` text and the `docs/cli.md` reference, both made from the tables of
 * `options.ts`, so they cannot drift from what the parser accepts.
 */
import { type CommandName, type CommandSpec, type OptionName, type OptionSpec, commandNames, commandSpecs, globalOptions, options } from './options.js';
import { commandDocs, commandNames as protocolCommands, maxLineBytes } from '../server/protocol.js';
import { exitStatuses } from './exit-status.js';
import { defaultSettings } from '../options.js';

const spec = (name: CommandName): CommandSpec => commandSpecs[name];
const option = (name: OptionName): OptionSpec => options[name];

function usage(command: CommandSpec): string {
  const positionals = command.positionals.map((p) => {
    const inner = `${p.name}${p.variadic === true ? '...' : ''}`;
    return p.required === true ? `<${inner}>` : `[${inner}]`;
  });
  const rest = command.rest === undefined ? [] : [`[-- ${command.rest}...]`];
  return ['clusterchart', command.name, '[options]', ...positionals, ...rest].join(' ');
}

function flagText(o: OptionSpec): string {
  const value = o.value === undefined ? '' : o.optionalValue === true ? ` [${o.value}]` : ` <${o.value}>`;
  return `${o.short === undefined ? '    ' : `-${o.short}, `}--${o.flag}${value}`;
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${indent}`);
}

/** The help of one command, or the overview when `topic` is null. */
export function renderHelp(topic: CommandName | null, version: string): string {
  if (topic === null) {
    const width = Math.max(...commandNames.map((n) => n.length));
    return [
      `clusterchart ${version}: supervise the workers of a Node.js cluster with statecharts.`,
      '',
      'Usage: clusterchart <command> [options]',
      '',
      'Commands:',
      ...commandNames.map((n) => `  ${n.padEnd(width)}  ${wrap(spec(n).summary, 72, ' '.repeat(width + 4))}`),
      '',
      'Options:',
      ...globalOptions.map((n) => `  ${flagText(option(n)).padEnd(20)}  ${option(n).description}`),
      '',
      `Exit status: ${exitStatuses.map((s) => `${s.status} ${s.meaning}`).join(', ')}.`,
      'Run `clusterchart <command> --help` for the options of a command.',
      '',
    ].join('\n');
  }
  const command = spec(topic);
  const names = [...command.options];
  const flags = names.map((n) => flagText(option(n)));
  const width = Math.min(28, Math.max(...flags.map((f) => f.length)));
  const lines = names.map((n, i) => {
    const o = option(n);
    const extra = [o.default === undefined ? '' : `(default: ${o.default})`, o.env === undefined ? '' : `[${o.env}]`]
      .filter((t) => t !== '')
      .join(' ');
    const flag = flags[i]!;
    const description = wrap(`${o.description}${extra === "" ? "" : ` ${extra}`}`, 98 - width, ' '.repeat(width + 4));
    return flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${description}` : `  ${flag.padEnd(width)}  ${description}`;
  });
  const positionals = command.positionals.map((p) => `  ${p.name.padEnd(width)}  ${p.description}`);
  return [
    `Usage: ${usage(command)}`,
    '',
    wrap(command.summary, 88, ''),
    ...(command.description === undefined ? [] : ['', wrap(command.description, 88, '')]),
    ...(positionals.length === 0 ? [] : ['', 'Arguments:', ...positionals]),
    '',
    'Options:',
    ...lines,
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

const code = (text: string) => `\`${text.replace(/\|/g, '\\|')}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** `docs/cli.md`: every command with its arguments and options, and the configuration keys. */
export function renderReference(): string {
  const out: string[] = [
    '# The `clusterchart` command',
    '',
    '<!-- Generated from src/cli/options.ts by `npm run docs:cli`; do not edit by hand. -->',
    '',
    'Run an unmodified app under clusterchart and steer it from a shell. `clusterchart run` is one',
    'foreground process (fit for systemd and containers) that supervises the workers and serves a',
    'control socket; every other command talks to it over that socket.',
    '',
    '## Exit status',
    '',
    '| status | meaning |',
    '|---|---|',
    ...exitStatuses.map((s) => `| ${s.status} | ${s.meaning}${s.codes === '' ? '' : ` (${s.codes})`} |`),
    '',
    "Every command expects the control's first answer within 10 s. One that changes something",
    'first asks for a `status` on the same connection, so a control that does not answer never gets',
    'the change (to carry it out later, after the command failed). Then `restart` and the commands',
    'run with `--no-wait` expect their answer within 10 s more; those that wait for workers (`stop`,',
    '`shutdown`, `terminate`, `set-size`, `add`, `remove`, `restart --wait`) wait as long as the drain',
    'or rollout takes. A control that does not answer in time ends them with `CC_ERR_CLI_NO_REPLY`,',
    'exit status 3, which says whether the change was sent.',
    '',
    '## Configuration',
    '',
    'The settings of `run` come from four places, later ones winning:',
    '',
    '1. the `"clusterchart"` object of `package.json` in the working directory,',
    '2. `clusterchart.config.json` in the working directory,',
    '3. `CLUSTERCHART_*` environment variables,',
    '4. flags.',
    '',
    'Durations are milliseconds, or text with a unit: `500ms`, `5s`, `2m`, `1h`. Every value is',
    'checked as `createControl()` checks it (`CC_ERR_OPTION_INVALID`, exit status 2), and the error',
    'names the file, variable or flag it came from. A rule between two settings blames the one that',
    `was set: a \`throttleDelay\` above the default \`maxThrottleDelay\` (${defaultSettings.maxThrottleDelay} ms) is the fault of`,
    '`throttleDelay`. A file\'s `size` may not be `null` (with no running workers to keep, `run` would',
    'start none). Commands other than `run` read only `control`.',
    'An unknown key in a file is an error; an unknown `CLUSTERCHART_*` variable is ignored, with a',
    'warning when it is obviously a misspelling of one of the variables below.',
    '',
    '| config key | flag | environment | default | meaning |',
    '|---|---|---|---|---|',
  ];
  for (const o of Object.values(options) as OptionSpec[]) {
    if (o.configKey === undefined) continue;
    out.push(
      `| ${code(o.configKey)} | ${code(`--${o.flag}`)} | ${o.env === undefined ? '-' : code(o.env)} | ${cell(o.default ?? '-')} | ${cell(o.description)} |`,
    );
  }
  out.push('', 'Example `clusterchart.config.json`:', '', '```json', JSON.stringify({ size: 4, shutdownTimeout: '10s', env: { NODE_ENV: 'production' } }, null, 2), '```', '');
  out.push('## Commands', '');
  for (const name of commandNames) {
    const command = spec(name);
    out.push(`### \`clusterchart ${name}\``, '', command.summary, '');
    if (command.description !== undefined) out.push(command.description, '');
    out.push('```', usage(command), '```', '');
    if (command.positionals.length > 0) {
      out.push('| argument | meaning |', '|---|---|');
      for (const p of command.positionals) out.push(`| ${code(p.name)} | ${cell(p.description)} |`);
      out.push('');
    }
    out.push('| option | meaning | default |', '|---|---|---|');
    for (const n of command.options) {
      const o = option(n);
      out.push(`| ${code(flagText(o).trim())} | ${cell(o.description)} | ${cell(o.default ?? '-')} |`);
    }
    out.push('', 'Examples:', '', '```sh', ...command.examples, '```', '');
  }
  out.push(
    '## Control protocol',
    '',
    'Every command but `run` and `diagram` is a request over the control socket (a UNIX socket, mode',
    '0600), which any program can send: one JSON object per line, several per connection.',
    '',
    '```',
    'request   { "id": 1, "cmd": "set-size", "args": { "size": 4 } }',
    'result    { "id": 1, "ok": true, "result": { "size": 4, "live": 4, "ready": 4 } }',
    'error     { "id": 1, "ok": false, "error": { "code": "CC_ERR_…", "message": "…" } }',
    'progress  { "id": 1, "ok": true, "progress": { "replaced": 1, "total": 4 } }',
    'event     { "id": 1, "event": { "type": "transition", "worker": { … }, "from": "…", "to": "…" } }',
    '```',
    '',
    `\`id\` (a string or a number) is echoed; \`args\` may be left out. A line over ${maxLineBytes / 1024} KiB, bad JSON, an`,
    'unknown command or bad arguments get a coded error (see docs/errors.md); the connection, the',
    'control and other clients carry on. Replies to requests in flight at once may come in any order.',
    '',
    '| cmd | args | result |',
    '|---|---|---|',
    ...protocolCommands.map((c) => `| \`${c}\` | ${cell(commandDocs[c].args)} | ${cell(commandDocs[c].result)} |`),
    '',
  );
  return `${out.join('\n').trimEnd()}\n`;
}
