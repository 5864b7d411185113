/**
 * Every error clusterchart raises has a stable `code` from this one table. Codes travel
 * over the control socket, so callers branch on `code`, never on `instanceof` or message
 * text. Codes are never reused; `docs/errors.md` documents each one (a test checks).
 */
export const errorCodes = {
  CC_ERR_OPTION_INVALID: 'Option {option} is invalid: {reason}.',
  CC_ERR_CONTROL_EXISTS: 'A control already supervises this process\'s cluster; stop it before creating another.',
  CC_ERR_CONTROL_NOT_PRIMARY: 'createControl() must run in the cluster primary, not in a worker.',
  CC_ERR_CONTROL_STOPPED: 'The control stopped before {what} finished.',
  CC_ERR_CONTROL_GAVE_UP: 'The control gave up: {exits} unexpected exits within {window} ms (maxRestarts {maxRestarts}).',
  CC_ERR_CONTROL_NOT_RUNNING: 'The control is {state}; {what} needs it running.',
  CC_ERR_WORKER_UNKNOWN: 'No worker with id {id}.',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof errorCodes;

/** The one error class of clusterchart: a stable code, a readable message, an optional cause. */
export class ClusterchartError extends Error {
  override readonly name = 'ClusterchartError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(formatMessage(code, details), options);
    this.code = code;
    this.details = details;
  }
}

function formatMessage(code: ErrorCode, details: Record<string, unknown>): string {
  return errorCodes[code].replace(/\{(\w+)\}/g, (_, key: string) => String(details[key] ?? `{${key}}`));
}

/** Builds a coded error without `new`, for symmetry with the other factories. */
export function createError(code: ErrorCode, details?: Record<string, unknown>, cause?: unknown): ClusterchartError {
  return new ClusterchartError(code, details, cause === undefined ? undefined : { cause });
}
