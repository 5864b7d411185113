/**
 * The control protocol: newline-delimited JSON over a UNIX socket.
 *
 *   request   { "id": 1, "cmd": "set-size", "args": { "size": 4 } }
 *   result    { "id": 1, "ok": true, "result": { ... } }
 *   error     { "id": 1, "ok": false, "error": { "code": "CC_ERR_…", "message": "…" } }
 *   progress  { "id": 1, "ok": true, "progress": { "replaced": 1, "total": 4 } }   (restart, wait)
 *   event     { "id": 1, "event": { "type": "transition", … } }                   (events)
 *
 * `id` is echoed (a string or a number; null when the request had none or could not be
 * read). Schemas here are the single source of truth for what the server accepts; the
 * client in `control-client.ts` and the CLI build requests from the same types.
 *
 * The commands are the CLI's, and so are the words of the messages the server sends: where
 * the control's own message names one of its methods (`setSize()`, `remove()`), the error
 * as it travels names the command that does the same (`clusterchart set-size`,
 * `clusterchart remove`; see `commandsIn`).
 */
import type * as Zod from 'zod';
import { type ErrorCode, asError, createError } from '../errors.js';
import { MAX_SIZE, describeValue, sizeExpected } from '../options.js';

/** UNIX socket paths are limited by `sun_path` (108 bytes on Linux, 104 elsewhere, NUL included). */
export const maxPathBytes = process.platform === 'linux' ? 107 : 103;
import { onFirstUse, requireDependency } from '../load-on-use.js';
import type { Control, ControlEventMap, ControlEventType, ControlStatus } from '../runtime/create-control.js';

/** The longest request line the server reads, newline excluded. */
export const maxLineBytes = 64 * 1024;

export type RequestId = string | number | null;

/** The request schemas, built from zod the first time a request is read. */
function buildSchemas(z: typeof Zod.z) {
  const id = z.union([z.string().max(128), z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)]).nullable();
  // Sizes and counts are bounded by MAX_SIZE and said in the control's own words, so that
  // `set-size 1025` and `set-size 99999999` get the same answer.
  const whole = (expected: string) => {
    const error = (issue: { input?: unknown }) => `expected ${expected}, got ${describeValue(issue.input)}`;
    return z.number({ error }).refine((n) => Number.isInteger(n) && n >= 0 && n <= MAX_SIZE, { error });
  };
  const count = whole(`a whole number from 0 to ${MAX_SIZE}`);
  const size = z.union([whole(sizeExpected), z.literal('cpus')], { error: (issue) => `expected ${sizeExpected}, got ${describeValue(issue.input)}` });
  const workerId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
  const targets = z.union([z.literal('all'), z.array(workerId).min(1).max(10_000)]);
  return {
    id,
    /** The envelope of every request; `args` is checked by its command's own schema. */
    request: z.strictObject({
      id: id.optional(),
      cmd: z.string().min(1).max(64),
      args: z.unknown().optional(),
    }),
    /** Arguments of each command. Absent or null `args` is read as `{}`. */
    args: {
      status: z.strictObject({}),
      'set-size': z.strictObject({ size, wait: z.boolean().optional() }),
      add: z.strictObject({ n: count.optional(), wait: z.boolean().optional() }),
      remove: z.strictObject({ n: count.optional(), wait: z.boolean().optional() }),
      restart: z.strictObject({ wait: z.boolean().optional() }),
      shutdown: z.strictObject({ ids: targets.optional() }),
      terminate: z.strictObject({ ids: targets.optional() }),
      stop: z.strictObject({ force: z.boolean().optional() }),
      events: z.strictObject({}),
    },
  } as const;
}

export const schemas = onFirstUse(() => buildSchemas(requireDependency<typeof Zod>('zod').z));

type ArgsSchemas = ReturnType<typeof schemas>['args'];
export type CommandName = keyof ArgsSchemas;
export type CommandArgs<C extends CommandName> = Zod.input<ArgsSchemas[C]>;
export type CommandArgsParsed<C extends CommandName> = Zod.output<ArgsSchemas[C]>;

/** What the size-changing commands answer: the target size and the live and ready counts. */
export interface SizeResult {
  size: number | null;
  live: number;
  ready: number;
}

export interface RestartResult {
  generation: number;
  /**
   * Ready workers of `generation`, at most `total`: all of them once waited for, unless the
   * size changed meanwhile; 0 at once without wait.
   */
  replaced: number;
  /** The size the rollout fills: the target size, or with none the live count it began with. */
  total: number;
  /** Whether the reply waited for the rollout to finish. */
  waited: boolean;
  /** ms the rollout took, when waited for. */
  duration: number | null;
  /** Old workers the control escalated on while the reply waited: as StopResult says. */
  terminated: number[];
  killed: number[];
}

/** As RestartResult's: the ready workers of the control's generation (it starts again from 0 when a later restart joins), out of the size. */
export interface RestartProgress {
  replaced: number;
  total: number;
  /**
   * Set on a line sent when the control enters (or stays in) crash-loop backoff during the
   * restart, as when the new workers crash at startup: the ms until its next fork.
   */
  danger?: { delay: number };
}

/** Workers stopped, once they have exited, and those the control had to escalate on. */
export interface StopResult {
  ids: number[];
  /** Sent SIGTERM because they outlived shutdownTimeout (a shutdown's escalation). */
  terminated: number[];
  /** Sent SIGKILL because they outlived terminateTimeout. */
  killed: number[];
}

/** The result of each command, as it travels. */
export interface CommandResults {
  status: ControlStatus;
  'set-size': SizeResult;
  add: SizeResult;
  remove: SizeResult;
  restart: RestartResult;
  shutdown: StopResult;
  terminate: StopResult;
  stop: StopResult & { stopped: true; force: boolean };
  events: { subscribed: true };
}

export interface WireError {
  code: ErrorCode | string;
  message: string;
}

/** A control event as it travels: `error` events carry `{ code, message }` instead of an Error. */
export type WireEvent =
  | Exclude<ControlEventMap[ControlEventType], { type: 'error' }>
  | { type: 'error'; error: WireError };

export type Reply =
  | { id: RequestId; ok: true; result: unknown }
  | { id: RequestId; ok: false; error: WireError }
  | { id: RequestId; ok: true; progress: RestartProgress }
  | { id: RequestId; event: WireEvent };

/** A request read from a line: either what to run, or the error to answer with. */
export type ParsedRequest =
  | { id: RequestId; cmd: CommandName; args: unknown; error?: undefined }
  | { id: RequestId; error: WireError };

const isCommand = (cmd: string): cmd is CommandName => Object.hasOwn(commandDocs, cmd);

/** Reads one request line (without its newline). Never throws. */
export function parseRequest(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { id: null, error: wireError('CC_ERR_SERVER_BAD_JSON', { reason: clip((error as Error).message) }) };
  }
  const id = recoverId(value);
  const envelope = schemas().request.safeParse(value);
  if (!envelope.success) {
    return {
      id,
      error: wireError('CC_ERR_SERVER_BAD_REQUEST', { shape: '{ "id", "cmd", "args" }', reason: describeIssues(envelope.error) }),
    };
  }
  const { cmd } = envelope.data;
  if (!isCommand(cmd)) {
    return { id, error: wireError('CC_ERR_SERVER_UNKNOWN_COMMAND', { cmd: JSON.stringify(clip(cmd)), known: commandNames.join(', ') }) };
  }
  return { id, cmd, args: envelope.data.args ?? {} };
}

/** Checks a command's arguments; throws CC_ERR_SERVER_BAD_ARGS. */
export function parseArgs<C extends CommandName>(cmd: C, args: unknown): CommandArgsParsed<C> {
  const parsed = schemas().args[cmd].safeParse(args ?? {});
  if (!parsed.success) throw createError('CC_ERR_SERVER_BAD_ARGS', { cmd, reason: describeIssues(parsed.error) });
  return parsed.data as CommandArgsParsed<C>;
}

/** The id of a request that may be malformed, when it is a usable one. */
function recoverId(value: unknown): RequestId {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const parsed = schemas().id.safeParse((value as { id: unknown }).id);
  return parsed.success ? parsed.data : null;
}

function describeIssues(error: Zod.ZodError): string {
  return clip(
    error.issues
      .slice(0, 5)
      .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
      .join('; '),
  );
}

/** Keeps messages short whatever a client sent. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export function wireError(code: ErrorCode, details: Record<string, unknown> = {}): WireError {
  const error = createError(code, details);
  return { code: error.code, message: error.message };
}

/** Any thrown value as `{ code, message }`: coded errors keep their code, said in the CLI's words (commandsIn). */
export function toWireError(error: unknown, cmd: string): WireError {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (error instanceof Error && typeof code === 'string' && code.startsWith('CC_')) return { code, message: commandsIn(error.message) };
  return wireError('CC_ERR_SERVER_INTERNAL', { cmd, reason: clip(asError(error).message) });
}

/** The command of the protocol (and the CLI) that does what each method of the control does. */
const commandOfMethod = {
  status: 'status',
  setSize: 'set-size',
  add: 'add',
  remove: 'remove',
  restart: 'restart',
  shutdown: 'shutdown',
  terminate: 'terminate',
  stop: 'stop',
} as const satisfies { readonly [M in keyof Control]?: CommandName };

/** A call of one of those methods in a message, with no argument or a plain one: `setSize()`, `setSize(0)`. */
const methodCall = new RegExp(`\\b(${Object.keys(commandOfMethod).join('|')})\\(([\\w-]*)\\)`, 'g');

/**
 * A message of the control as the CLI's user reads it: each call of a control method
 * becomes the command that does the same, `remove()` → `` `clusterchart remove` ``,
 * `setSize(0)` → `` `clusterchart set-size 0` ``.
 */
export function commandsIn(message: string): string {
  return message.replace(methodCall, (_, method: keyof typeof commandOfMethod, arg: string) => `\`clusterchart ${commandOfMethod[method]}${arg === '' ? '' : ` ${arg}`}\``);
}

/** A control event as it travels: an `error` event's Error as its code and message. */
export function toWireEvent(event: ControlEventMap[ControlEventType]): WireEvent {
  if (event.type === 'error') return { type: 'error', error: toWireError(event.error, 'events') };
  return event;
}

/** One reply as a JSON line. Values JSON cannot carry (bigint, cycles, in an app's messages) become strings. */
export function encodeReply(reply: Reply): string {
  try {
    return `${JSON.stringify(reply, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
  } catch (error) {
    if ('event' in reply) {
      const { type } = reply.event;
      return `${JSON.stringify({ id: reply.id, event: { type, unserializable: clip(String((error as Error).message)) } })}\n`;
    }
    return `${JSON.stringify({ id: reply.id, ok: false, error: toWireError(error, 'encode') })}\n`;
  }
}

/** What each command takes and answers, for `docs/cli.md` (one entry per command, checked by the type). */
export const commandDocs: { readonly [C in CommandName]: { args: string; result: string } } = {
  status: { args: '`{}`', result: '`{ master, workers }` as `control.status()`' },
  'set-size': {
    args: `\`{ size: N | "cpus", wait?: true }\` (N from 0 to ${MAX_SIZE})`,
    result: '`{ size, live, ready }` once the size is reached (at once with `wait: false`)',
  },
  add: { args: `\`{ n?: 1, wait?: true }\` (n from 0 to ${MAX_SIZE})`, result: '`{ size, live, ready }`' },
  remove: { args: `\`{ n?: 1, wait?: true }\` (n from 0 to ${MAX_SIZE})`, result: '`{ size, live, ready }`' },
  restart: {
    args: '`{ wait?: false }`',
    result:
      'with `wait`: progress lines `{ replaced, total }` (the ready workers of the new generation, out of the size; with `danger: { delay }` on crash-loop backoff), then `{ generation, replaced, total, waited, duration, terminated, killed }` (the old workers escalated to SIGTERM after shutdownTimeout, to SIGKILL)',
  },
  shutdown: { args: '`{ ids?: number[] | "all" }` (default all)', result: '`{ ids, terminated, killed }` once they have exited (the last two: escalated to SIGTERM, to SIGKILL)' },
  terminate: { args: '`{ ids?: number[] | "all" }` (default all)', result: '`{ ids, terminated, killed }` once they have exited (`killed`: escalated to SIGKILL)' },
  stop: { args: '`{ force?: false }`', result: '`{ stopped: true, force, ids, terminated, killed }` once every worker has exited (the last two: escalated to SIGTERM after shutdownTimeout, to SIGKILL)' },
  events: { args: '`{}`', result: '`{ subscribed: true }`, then `{ id, event }` lines until the client closes' },
};

/** Every command, in protocol order. */
export const commandNames = Object.keys(commandDocs) as CommandName[];
