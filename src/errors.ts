/**
 * Every error clusterchart raises has a stable `code` from this one table. Codes travel
 * over the control socket, so callers branch on `code`, never on `instanceof` or message
 * text. Codes are never reused; `docs/errors.md` documents each one (a test checks).
 */
export const errorCodes = {
  CC_ERR_OPTION_INVALID: 'Option {option} is invalid: {reason}.',
  CC_ERR_ARGUMENT_INVALID: 'Invalid argument to {method}: {reason}.',
  CC_ERR_CONTROL_EXISTS: 'A control already supervises this process\'s cluster; close() it (after stop()) before creating another.',
  CC_ERR_CONTROL_NOT_PRIMARY: 'createControl() must run in the cluster primary, not in a worker.',
  CC_ERR_CONTROL_STOPPED: 'The control stopped before {what} finished.',
  CC_ERR_CONTROL_GAVE_UP: 'The control gave up: {reason}, more than maxRestarts ({maxRestarts}).',
  CC_ERR_RESTART_ABANDONED: 'The restart to generation {generation} was abandoned: {reason}, more than maxRestarts ({maxRestarts}); the workers of the older generation keep serving.',
  CC_ERR_CONTROL_NOT_RUNNING: 'The control is {state}; {what} needs it running.',
  CC_ERR_CONTROL_CLOSED: 'The control is closed; {what} cannot finish.',
  CC_ERR_CONTROL_FAILED: 'The control failed ({reason}) and killed its workers, which nothing supervised any more; create another control.',
  CC_ERR_WORKER_UNKNOWN: 'No worker with id {id}.',
  CC_ERR_WORKER_FORK_FAILED: 'Worker #{id} could not be forked: {reason}.',
  CC_ERR_SERVER_IN_USE: 'Another control is listening on {path}; stop it or pass another --control path.',
  CC_ERR_SERVER_PATH_TAKEN: '{path} exists and is not a socket; refusing to replace it.',
  CC_ERR_SERVER_PATH_TOO_LONG: 'The socket path {path} is {length} bytes; UNIX socket paths must be at most {max} bytes.',
  CC_ERR_SERVER_LISTEN: 'Cannot listen on {path}: {reason}.',
  CC_ERR_DASHBOARD_PORT_IN_USE: 'Port {port} on {host} is in use; stop what listens there, or pass --dashboard another port (0 picks a free one).',
  CC_ERR_SERVER_LINE_TOO_LONG: 'A request line exceeded {limit} bytes; it was discarded.',
  CC_ERR_SERVER_BAD_JSON: 'A request line is not valid JSON: {reason}.',
  CC_ERR_SERVER_BAD_REQUEST: 'A request must be {shape}: {reason}.',
  CC_ERR_SERVER_UNKNOWN_COMMAND: 'Unknown command {cmd}; known commands: {known}.',
  CC_ERR_SERVER_BAD_ARGS: 'Invalid arguments for {cmd}: {reason}.',
  CC_ERR_SERVER_BUSY: 'Too many requests in flight on this connection (limit {limit}); wait for replies first.',
  CC_ERR_SERVER_CLOSING: 'The control server is closing; {cmd} was not run.',
  CC_ERR_SERVER_INTERNAL: 'The command {cmd} failed unexpectedly: {reason}.',
  CC_ERR_CLI_UNKNOWN_COMMAND: 'Unknown command {command}{hint}; run `clusterchart --help` for the list.',
  CC_ERR_CLI_UNKNOWN_OPTION: 'Unknown option {option} for `clusterchart {command}`{hint}; run `clusterchart {command} --help`.',
  CC_ERR_CLI_MISSING_VALUE: 'Option {option} needs a value ({value}).',
  CC_ERR_CLI_BAD_ARGUMENT: 'Invalid argument for `clusterchart {command}`: {reason}.',
  CC_ERR_CLI_SCRIPT_NOT_FOUND: 'Cannot find the script {script} (resolved to {path}){hint}.',
  CC_ERR_CLI_UNREACHABLE: 'No control is reachable at {path} ({reason}){next}',
  CC_ERR_CLI_CONNECTION_LOST: 'The control at {path} closed the connection before {what} finished.',
  CC_ERR_CLI_NO_REPLY: 'The control at {path} accepted the connection but did not answer {what} within {ms} ms{sent}; it is busy (many workers booting at once on few cores) or its event loop is stuck: try again, and if it never answers, send it SIGTERM, or SIGKILL (its warden takes the workers down).',
  CC_ERR_CLI_PROTOCOL: 'The control at {path} sent an invalid reply: {reason}.',
  CC_ERR_CLI_UNAVAILABLE: '{feature} is not available in this build of clusterchart.',
  CC_ERR_CONFIG_READ: 'Cannot read the configuration {source}: {reason}.',
  CC_ERR_CONFIG_INVALID: 'The configuration {source} is invalid: {reason}.',
  CC_ERR_CONFIG_UNKNOWN_KEY: 'Unknown option {key} in {source}{hint}; known options: {known}.',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof errorCodes;

/** Warnings (process.emitWarning); like error codes, never reused. */
export const warningCodes = {
  CC_WRN_001: 'The orphan warden of the control could not start; a worker whose main thread is blocked will not die if its control is killed with SIGKILL.',
  CC_WRN_002: 'A listener of the control threw, and no error listener heard it.',
} as const satisfies Record<string, string>;

/**
 * Marks a ClusterchartError of any copy of clusterchart in the process: its ESM and
 * CommonJS builds, loaded side by side, define two classes.
 */
const ERROR_BRAND = Symbol.for('clusterchart.error');

/** The one error class of clusterchart: a stable code, a readable message, an optional cause. */
export class ClusterchartError extends Error {
  override readonly name = 'ClusterchartError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(formatMessage(code, details), options);
    this.code = code;
    this.details = details;
    Object.defineProperty(this, ERROR_BRAND, { value: true });
  }

  /** `instanceof` holds for a ClusterchartError made by any copy of clusterchart (a subclass checks as usual). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ClusterchartError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ERROR_BRAND] === true;
  }
}

/**
 * Whether `value` is a ClusterchartError (of any copy of clusterchart), with `code` when one
 * is given: `if (isClusterchartError(e, 'CC_ERR_CONTROL_GAVE_UP')) e.details.exits`.
 */
export function isClusterchartError<C extends ErrorCode = ErrorCode>(value: unknown, code?: C): value is ClusterchartError & { readonly code: C } {
  return value instanceof ClusterchartError && (code === undefined || value.code === code);
}

function formatMessage(code: ErrorCode, details: Record<string, unknown>): string {
  return errorCodes[code].replace(/\{(\w+)\}/g, (_, key: string) => (key in details ? String(details[key]) : `{${key}}`));
}

/** What was thrown, as an Error (a thrown string or object becomes an Error's message). */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** Builds a coded error without `new`, for symmetry with the other factories. */
export function createError(code: ErrorCode, details?: Record<string, unknown>, cause?: unknown): ClusterchartError {
  return new ClusterchartError(code, details, cause === undefined ? undefined : { cause });
}
