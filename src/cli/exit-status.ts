/**
 * The exit status of a `clusterchart` command, from the `code` of the error that ended it.
 * Callers branch on codes, never on messages; a code absent from this table is a failure.
 */
import type { ErrorCode } from '../errors.js';

export const exitStatus = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;
export type ExitStatus = (typeof exitStatus)[keyof typeof exitStatus];

const byCode: Partial<Record<ErrorCode, ExitStatus>> = {
  CC_ERR_CLI_UNKNOWN_COMMAND: exitStatus.usage,
  CC_ERR_CLI_UNKNOWN_OPTION: exitStatus.usage,
  CC_ERR_CLI_MISSING_VALUE: exitStatus.usage,
  CC_ERR_CLI_BAD_ARGUMENT: exitStatus.usage,
  CC_ERR_CLI_SCRIPT_NOT_FOUND: exitStatus.usage,
  CC_ERR_OPTION_INVALID: exitStatus.usage,
  CC_ERR_ARGUMENT_INVALID: exitStatus.usage,
  CC_ERR_CONFIG_READ: exitStatus.usage,
  CC_ERR_CONFIG_INVALID: exitStatus.usage,
  CC_ERR_CONFIG_UNKNOWN_KEY: exitStatus.usage,
  CC_ERR_SERVER_BAD_ARGS: exitStatus.usage,
  CC_ERR_SERVER_PATH_TOO_LONG: exitStatus.usage,
  CC_ERR_CLI_UNREACHABLE: exitStatus.unreachable,
  CC_ERR_CLI_CONNECTION_LOST: exitStatus.unreachable,
  CC_ERR_CLI_NO_REPLY: exitStatus.unreachable,
  // What answers on the socket does not speak the protocol: no control is reachable there.
  CC_ERR_CLI_PROTOCOL: exitStatus.unreachable,
};

export function exitStatusOf(error: unknown): ExitStatus {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (byCode[code as ErrorCode] ?? exitStatus.failed) : exitStatus.failed;
}

/** For help and docs. */
export const exitStatuses: ReadonlyArray<{ status: ExitStatus; meaning: string; codes: string }> = [
  { status: exitStatus.ok, meaning: 'ok', codes: '' },
  { status: exitStatus.failed, meaning: 'failed', codes: 'e.g. an unknown worker id, a control that gave up, a socket already in use' },
  { status: exitStatus.usage, meaning: 'usage error', codes: 'unknown command or option, invalid value or configuration, missing script' },
  { status: exitStatus.unreachable, meaning: 'no control reachable', codes: 'nothing listens on the control socket, it went away mid-command, it did not answer in time, or what answers is not a clusterchart control' },
];
