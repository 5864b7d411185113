/**
 * parseArgv() turns argv into data with no side effects:
 * - every command and its options, long, short and `--flag=value` forms;
 * - `run`: the script, its own arguments after `--`, every setting flag converted
 *   (durations with units, `cpus`, Infinity), repeatable `--env`, `--dashboard [PORT]`;
 * - usage mistakes throw coded errors (unknown command/option, missing value, bad argument).
 */
import { describe, expect, it } from 'vitest';
import { parseArgv, readValue } from '../../src/cli/parse-argv.js';
import { commandNames, commandSpecs, options, settingOptions } from '../../src/cli/options.js';
import { defaultSettings } from '../../src/options.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('help and version', () => {
  it('no arguments, help and --help show the overview; `<cmd> --help` the command', () => {
    expect(parseArgv([])).toEqual({ command: 'help', topic: null });
    expect(parseArgv(['--help'])).toEqual({ command: 'help', topic: null });
    expect(parseArgv(['-h'])).toEqual({ command: 'help', topic: null });
    expect(parseArgv(['help', 'status'])).toEqual({ command: 'help', topic: 'status' });
    for (const name of commandNames) {
      expect(parseArgv([name, '--help'])).toEqual({ command: 'help', topic: name });
      expect(parseArgv([name, '-h'])).toEqual({ command: 'help', topic: name });
    }
    // --help wins over anything else, even invalid values.
    expect(parseArgv(['set-size', 'many', '--help'])).toEqual({ command: 'help', topic: 'set-size' });
  });

  it('help for a command that does not exist is an error, as the command itself is', () => {
    expect(() => parseArgv(['help', 'staus'])).toThrow(expect.objectContaining({ code: 'CC_ERR_CLI_UNKNOWN_COMMAND' }));
    expect(() => parseArgv(['--help', 'staus'])).toThrow(expect.objectContaining({ code: 'CC_ERR_CLI_UNKNOWN_COMMAND' }));
  });

  it('an unknown command or flag names the one obviously meant', () => {
    expect(() => parseArgv(['staus'])).toThrow('Unknown command "staus" (did you mean status?)');
    expect(() => parseArgv(['deploy'])).toThrow('Unknown command "deploy"; run');
    expect(() => parseArgv(['run', '--sise', '2', 'app.js'])).toThrow('Unknown option --sise for `clusterchart run` (did you mean --size?)');
    expect(() => parseArgv(['run', '--bogus', 'app.js'])).toThrow('Unknown option --bogus for `clusterchart run`; run');
  });

  it('a command of PM2 names ours, and options before the command say where they go', () => {
    const cases: Array<[string[], string]> = [
      [['start', 'app.js'], 'Unknown command "start" (did you mean run?)'],
      [['reload'], 'Unknown command "reload" (did you mean restart?)'],
      [['scale', '4'], 'Unknown command "scale" (did you mean set-size?)'],
      [['ls'], 'Unknown command "ls" (did you mean status?)'],
      [['logs'], 'Unknown command "logs" (did you mean events?)'],
      [['-c', 'x.sock', 'status', '--json'], 'Unknown command "-c" (options go after the command: clusterchart status -c x.sock --json)'],
    ];
    for (const [argv, message] of cases) expect(() => parseArgv(argv), argv.join(' ')).toThrow(message);
    expect(parseArgv(['help', 'help'])).toEqual({ command: 'help', topic: null });
  });

  it('--version and -v', () => {
    expect(parseArgv(['--version'])).toEqual({ command: 'version' });
    expect(parseArgv(['-v'])).toEqual({ command: 'version' });
    expect(parseArgv(['status', '--version'])).toEqual({ command: 'version' });
  });
});

describe('run', () => {
  it('takes the script, flags before and after it, and the script args after --', () => {
    expect(parseArgv(['run', 'server.js'])).toEqual({
      command: 'run',
      script: 'server.js',
      args: [],
      flags: { settings: {} },
      inspect: false,
      quiet: false,
    });
    const inv = parseArgv(['run', '--size', '4', 'server.js', '-c', '/tmp/x.sock', '--', '--port', '80', '--size', '9']);
    expect(inv).toMatchObject({ script: 'server.js', args: ['--port', '80', '--size', '9'], flags: { settings: { size: 4 }, control: '/tmp/x.sock' } });
  });

  it('reads every setting flag', () => {
    const inv = parseArgv([
      'run',
      'app.js',
      '--size=cpus',
      '--ready-on',
      'message',
      '--startup-timeout',
      'Infinity',
      '--shutdown-timeout',
      '5s',
      '--terminate-timeout',
      '250ms',
      '--min-restart-age',
      '1.5s',
      '--throttle-delay',
      '100',
      '--max-throttle-delay',
      '2m',
      '--restart-concurrency',
      '2',
      '--restart-probation',
      '0',
      '--max-restarts',
      'infinity',
      '--restart-window',
      '1h',
      '--max-memory',
      '512M',
      '--memory-check-interval',
      '30s',
    ]);
    expect(inv).toMatchObject({
      flags: {
        settings: {
          size: 'cpus',
          readyOn: 'message',
          startupTimeout: Infinity,
          shutdownTimeout: 5_000,
          terminateTimeout: 250,
          minRestartAge: 1_500,
          throttleDelay: 100,
          maxThrottleDelay: 120_000,
          restartConcurrency: 2,
          restartProbation: 0,
          maxRestarts: Infinity,
          restartWindow: 3_600_000,
          maxMemory: 512 * 1024 ** 2,
          memoryCheckInterval: 30_000,
        },
      },
    });
  });

  it('has a flag for every setting of createControl', () => {
    expect(Object.keys(settingOptions).sort()).toEqual([...Object.keys(defaultSettings)].sort());
    for (const key of Object.keys(settingOptions)) expect(commandSpecs.run.options).toContain(key);
  });

  it('--env is repeatable, --dashboard takes an optional port, --inspect and --quiet are flags', () => {
    const inv = parseArgv(['run', 'a.js', '--env', 'A=1', '-e', 'B=x=y', '--env=C=', '--dashboard', '--inspect', '-q']);
    expect(inv).toMatchObject({ flags: { env: { A: '1', B: 'x=y', C: '' }, dashboard: true }, inspect: true, quiet: true });
    expect(parseArgv(['run', 'a.js', '--dashboard', '9000'])).toMatchObject({ flags: { dashboard: 9000 }, args: [] });
    expect(parseArgv(['run', '--dashboard', 'a.js'])).toMatchObject({ script: 'a.js', flags: { dashboard: true } });
    expect(parseArgv(['run', 'a.js', '--dashboard=0', '--dashboard-host', '0.0.0.0'])).toMatchObject({
      flags: { dashboard: 0, dashboardHost: '0.0.0.0' },
    });
  });

  it('--node-arg is repeatable and takes Node options only', () => {
    // A value that looks like a flag must be written with `=`.
    expect(codeOf(() => parseArgv(['run', 'a.js', '--node-arg', '--expose-gc']))).toBe('CC_ERR_CLI_MISSING_VALUE');
    expect(parseArgv(['run', 'a.js', '--node-arg=--expose-gc', '--node-arg=--max-old-space-size=4096'])).toMatchObject({
      flags: { nodeArgs: ['--expose-gc', '--max-old-space-size=4096'] },
    });
    expect(codeOf(() => parseArgv(['run', 'a.js', '--node-arg=port']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
  });

  it('reads memory sizes in binary units, as PM2 does', () => {
    const bytes = (text: string) => (parseArgv(['run', 'a.js', '--max-memory', text]) as { flags: { settings: { maxMemory?: number } } }).flags.settings.maxMemory;
    expect([bytes('1000'), bytes('800K'), bytes('512m'), bytes('1.5G'), bytes('2gb')]).toEqual([1000, 800 * 1024, 512 * 1024 ** 2, 1.5 * 1024 ** 3, 2 * 1024 ** 3]);
    expect(codeOf(() => parseArgv(['run', 'a.js', '--max-memory', 'lots']))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--max-memory', '512T']))).toBe('CC_ERR_OPTION_INVALID');
  });

  it('leaves range checks to normalizeSettings but refuses text that is no value', () => {
    expect(parseArgv(['run', 'a.js', '--shutdown-timeout', '-5'])).toMatchObject({ flags: { settings: { shutdownTimeout: -5 } } });
    expect(parseArgv(['run', 'a.js', '--size', '1.5'])).toMatchObject({ flags: { settings: { size: 1.5 } } });
    expect(codeOf(() => parseArgv(['run', 'a.js', '--shutdown-timeout', 'soon']))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--size', 'lots']))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--max-restarts', 'few']))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--dashboard=http']))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--dashboard=70000']))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--env', 'NOEQUALS']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--env', '1BAD=x']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
  });

  it('names the flag in a value error', () => {
    try {
      parseArgv(['run', 'a.js', '--terminate-timeout', 'later']);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'CC_ERR_OPTION_INVALID', details: { option: '--terminate-timeout' } });
    }
  });

  it('usage mistakes', () => {
    expect(codeOf(() => parseArgv(['run']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--port', '80']))).toBe('CC_ERR_CLI_UNKNOWN_OPTION');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--size']))).toBe('CC_ERR_CLI_MISSING_VALUE');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--size', '--']))).toBe('CC_ERR_CLI_MISSING_VALUE');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--size', '2', '--size', '3']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['run', 'a.js', '--inspect=yes']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
  });

  it("an unknown flag after run's script points to `--`, unless it resembles an option", () => {
    expect(() => parseArgv(['run', 'app.js', '--port', '80'])).toThrow(
      "Unknown option --port for `clusterchart run` (the app's own arguments go after --, as in `clusterchart run app.js -- --port 80`); run `clusterchart run --help`.",
    );
    expect(() => parseArgv(['run', 'app.js', '--sise', '2'])).toThrow('(did you mean --size?)');
    expect(() => parseArgv(['run', '--port', '80', 'app.js'])).toThrow("Unknown option --port for `clusterchart run`; run `clusterchart run --help`.");
  });

  it('words after the script are a usage error pointing to `--`; the app gets only what follows `--`', () => {
    expect(() => parseArgv(['run', 'app.js', 'foo'])).toThrow(
      expect.objectContaining({
        code: 'CC_ERR_CLI_BAD_ARGUMENT',
        details: expect.objectContaining({ reason: expect.stringContaining('`clusterchart run app.js -- foo`') }),
      }),
    );
    expect(codeOf(() => parseArgv(['run', 'app.js', '--size', '2', 'foo', '--', 'bar']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(parseArgv(['run', 'app.js', '--size', '2', '--', 'foo'])).toMatchObject({ script: 'app.js', args: ['foo'] });
  });

  it('--dashboard takes a port 0–65535 or nothing: any other value after it is a usage error, not the app\'s', () => {
    for (const value of ['abc', '-1', '70000', '1.5']) {
      expect(() => parseArgv(['run', 'app.js', '--dashboard', value]), value).toThrow(
        expect.objectContaining({
          code: 'CC_ERR_OPTION_INVALID',
          details: { option: '--dashboard', reason: `expected a port number 0–65535, got ${JSON.stringify(value)}` },
        }),
      );
    }
    expect(parseArgv(['run', 'app.js', '--dashboard'])).toMatchObject({ args: [], flags: { dashboard: true } });
    expect(parseArgv(['run', 'app.js', '--dashboard', '--size', '2'])).toMatchObject({ flags: { dashboard: true, settings: { size: 2 } } });
    expect(parseArgv(['run', '--dashboard', 'app.js', '--', 'abc'])).toMatchObject({ script: 'app.js', args: ['abc'], flags: { dashboard: true } });
    // The script came right after it: the message says how it was read.
    expect(() => parseArgv(['run', '--dashboard', 'abc', 'app.js'])).toThrow('--dashboard takes only a number, so "abc" was read as the script');
  });

  it('a value-taking flag followed by another flag is missing its value, named by its long flag', () => {
    expect(() => parseArgv(['run', 'app.js', '-e', 'A=1', '-e', '--control', 'x.sock'])).toThrow(
      expect.objectContaining({ code: 'CC_ERR_CLI_MISSING_VALUE', message: 'Option --env needs a value (KEY=VALUE).' }),
    );
    for (const [name, spec] of Object.entries(options)) {
      if (spec.kind === 'boolean' || (spec as { optionalValue?: boolean }).optionalValue === true) continue;
      const command = commandNames.find((c) => (commandSpecs[c].options as readonly string[]).includes(name))!;
      const argv = command === 'run' ? ['run', 'app.js'] : [command];
      for (const next of ['--json', '--help', '--whatever', '-h']) {
        expect(() => parseArgv([...argv, `--${spec.flag}`, next]), `${command} --${spec.flag} ${next}`).toThrow(
          expect.objectContaining({ code: 'CC_ERR_CLI_MISSING_VALUE', details: { option: `--${spec.flag}`, value: spec.value } }),
        );
      }
    }
    // A negative number is a value (refused later by its range), not a flag.
    expect(parseArgv(['run', 'a.js', '--shutdown-timeout', '-5'])).toMatchObject({ flags: { settings: { shutdownTimeout: -5 } } });
  });
});

describe('commands that talk to a control', () => {
  it('status, events, stop, restart', () => {
    expect(parseArgv(['status'])).toEqual({ command: 'status', json: false });
    expect(parseArgv(['status', '--json', '--control', 'x.sock'])).toEqual({ command: 'status', json: true, control: 'x.sock' });
    expect(parseArgv(['events', '--json'])).toEqual({ command: 'events', json: true });
    expect(parseArgv(['stop'])).toEqual({ command: 'stop', force: false, json: false });
    expect(parseArgv(['stop', '-f'])).toEqual({ command: 'stop', force: true, json: false });
    expect(parseArgv(['restart'])).toEqual({ command: 'restart', wait: false, json: false });
    expect(parseArgv(['restart', '--wait'])).toEqual({ command: 'restart', wait: true, json: false });
    expect(parseArgv(['restart', '-w', '-c', 'y'])).toEqual({ command: 'restart', wait: true, json: false, control: 'y' });
  });

  it('set-size, add, remove', () => {
    expect(parseArgv(['set-size', '8'])).toEqual({ command: 'set-size', size: 8, wait: true, json: false });
    expect(parseArgv(['set-size', 'cpus', '--no-wait'])).toEqual({ command: 'set-size', size: 'cpus', wait: false, json: false });
    expect(parseArgv(['set-size', '0'])).toMatchObject({ size: 0 });
    expect(parseArgv(['add'])).toEqual({ command: 'add', n: 1, wait: true, json: false });
    expect(parseArgv(['add', '3'])).toMatchObject({ n: 3 });
    expect(parseArgv(['remove', '2', '--json'])).toEqual({ command: 'remove', n: 2, wait: true, json: true });
    for (const bad of [['set-size'], ['set-size', '-1'], ['set-size', '2.5'], ['set-size', 'x'], ['set-size', '1', '2'], ['add', 'two'], ['remove', '-3']]) {
      expect(codeOf(() => parseArgv(bad)), bad.join(' ')).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    }
  });

  it('a size above MAX_SIZE is refused as any other bad size, in the words of the control; `cpu` hints cpus', () => {
    expect(parseArgv(['set-size', '1024'])).toMatchObject({ size: 1024 });
    const reason = (raw: string) => `the size must be a whole number from 0 to 1024 or 'cpus', got ${JSON.stringify(raw)}`;
    for (const raw of ['1025', '99999999', '-1', 'lots']) {
      expect(() => parseArgv(['set-size', raw]), raw).toThrow(expect.objectContaining({ code: 'CC_ERR_CLI_BAD_ARGUMENT', details: { command: 'set-size', reason: reason(raw) } }));
    }
    expect(() => parseArgv(['set-size', 'cpu'])).toThrow(expect.objectContaining({ details: { command: 'set-size', reason: `${reason('cpu')} (did you mean cpus?)` } }));
    expect(() => parseArgv(['run', 'a.js', '--size', 'cpu'])).toThrow(
      expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID', details: { option: '--size', reason: `expected a whole number from 0 to 1024 or 'cpus', got "cpu" (did you mean cpus?)` } }),
    );
    expect(() => parseArgv(['add', '99999999'])).toThrow(
      expect.objectContaining({ details: { command: 'add', reason: 'the count must be a whole number from 0 to 1024, got "99999999"' } }),
    );
  });

  it('shutdown and terminate take ids or all, one of the two', () => {
    expect(codeOf(() => parseArgv(['shutdown']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['terminate']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(parseArgv(['shutdown', 'all'])).toEqual({ command: 'shutdown', ids: 'all', json: false });
    expect(parseArgv(['terminate', '3', '4'])).toEqual({ command: 'terminate', ids: [3, 4], json: false });
    expect(codeOf(() => parseArgv(['terminate', '3', 'all']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['terminate', 'three']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
  });

  it('refuses options of other commands and stray arguments', () => {
    expect(codeOf(() => parseArgv(['status', '--force']))).toBe('CC_ERR_CLI_UNKNOWN_OPTION');
    expect(codeOf(() => parseArgv(['status', '--size', '2']))).toBe('CC_ERR_CLI_UNKNOWN_OPTION');
    expect(codeOf(() => parseArgv(['status', 'now']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['stop', '--', 'x']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['status', '--control']))).toBe('CC_ERR_CLI_MISSING_VALUE');
  });

  it('checks --control as run does: an empty path is a usage error, not an unreachable control', () => {
    for (const command of ['status', 'restart', 'set-size', 'add', 'remove', 'shutdown', 'terminate', 'stop', 'events']) {
      const argv = command === 'set-size' ? [command, '2'] : command === 'shutdown' || command === 'terminate' ? [command, 'all'] : [command];
      for (const control of ['', '  ']) {
        expect(() => parseArgv([...argv, '--control', control]), command).toThrow(
          expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID', details: { option: '--control', reason: `expected a path, got ${JSON.stringify(control)}` } }),
        );
      }
      expect(() => parseArgv([...argv, '--control='])).toThrow(expect.objectContaining({ code: 'CC_ERR_OPTION_INVALID' }));
    }
    expect(codeOf(() => parseArgv(['run', 'a.js', '--control', '']))).toBe('CC_ERR_OPTION_INVALID');
  });
});

describe('diagram', () => {
  it('defaults to the worker as Mermaid', () => {
    expect(parseArgv(['diagram'])).toEqual({ command: 'diagram', machine: 'worker', format: 'mermaid' });
    expect(parseArgv(['diagram', 'control', '--format', 'svg'])).toEqual({ command: 'diagram', machine: 'control', format: 'svg' });
    expect(codeOf(() => parseArgv(['diagram', 'master']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
    expect(codeOf(() => parseArgv(['diagram', '--format', 'png']))).toBe('CC_ERR_CLI_BAD_ARGUMENT');
  });

  it('an unknown machine or format lists those there are, with the one a typo obviously meant', () => {
    const message = (argv: string[]) => {
      try {
        parseArgv(argv);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    expect(message(['diagram', 'contrl'])).toBe('Invalid argument for `clusterchart diagram`: the machine is worker or control, got "contrl" (did you mean control?).');
    expect(message(['diagram', 'Worker'])).toBe('Invalid argument for `clusterchart diagram`: the machine is worker or control, got "Worker" (did you mean worker?).');
    expect(message(['diagram', 'master'])).toBe('Invalid argument for `clusterchart diagram`: the machine is worker or control, got "master".');
    expect(message(['diagram', '--format', 'mermiad'])).toBe('Invalid argument for `clusterchart diagram`: --format is mermaid, dot or svg, got "mermiad" (did you mean mermaid?).');
    expect(message(['diagram', 'worker', '--format=pdf'])).toBe('Invalid argument for `clusterchart diagram`: --format is mermaid, dot or svg, got "pdf".');
  });
});

describe('top level', () => {
  it('unknown commands and options', () => {
    expect(codeOf(() => parseArgv(['deploy']))).toBe('CC_ERR_CLI_UNKNOWN_COMMAND');
    expect(codeOf(() => parseArgv(['--size', '2']))).toBe('CC_ERR_CLI_UNKNOWN_COMMAND');
  });

  it('every option of every command exists in the table, with a unique flag per command', () => {
    for (const name of commandNames) {
      const flags = commandSpecs[name].options.map((o) => options[o].flag);
      expect(new Set(flags).size, name).toBe(flags.length);
      const shorts = commandSpecs[name].options.map((o) => (options[o] as { short?: string }).short).filter(Boolean);
      expect(new Set(shorts).size, name).toBe(shorts.length);
    }
  });

  it('is pure: the same argv gives the same data, argv is not changed', () => {
    const argv = Object.freeze(['run', 'a.js', '--env', 'A=1', '--', 'x']);
    expect(parseArgv(argv)).toEqual(parseArgv(argv));
  });
});

describe('readValue', () => {
  it('reads durations with units', () => {
    const spec = settingOptions.shutdownTimeout;
    expect(readValue(spec, '5000', 'x')).toBe(5_000);
    expect(readValue(spec, '5000ms', 'x')).toBe(5_000);
    expect(readValue(spec, ' 2s ', 'x')).toBe(2_000);
    expect(readValue(spec, '0.5m', 'x')).toBe(30_000);
    expect(readValue(spec, 'inf', 'x')).toBe(Infinity);
    expect(codeOf(() => readValue(spec, '5 minutes', 'x'))).toBe('CC_ERR_OPTION_INVALID');
    expect(codeOf(() => readValue(spec, '', 'x'))).toBe('CC_ERR_OPTION_INVALID');
  });
});
