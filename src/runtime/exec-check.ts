/**
 * Whether Node can run a worker's `exec`, checked when the control is created: an `exec` no
 * worker could run would have every fork die (MODULE_NOT_FOUND, ERR_UNKNOWN_FILE_EXTENSION)
 * until the control gave up. Resolved as Node resolves a main script, with what the workers'
 * loaders (execArgv, NODE_OPTIONS) may add.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { didYouMean } from '../closest-name.js';
import { createError } from '../errors.js';
import type { WorkerEnv } from './create-control.js';

/** What Node itself adds to the name of a main script (CommonJS main resolution). */
const NODE_EXTENSIONS = ['.js', '.json', '.node'];

/** What Node 20 cannot run without a loader (later versions strip the types of TYPESCRIPT_EXTENSIONS). */
const LOADER_EXTENSIONS = ['.ts', '.cts', '.mts', '.tsx', '.jsx'];
const TYPESCRIPT_EXTENSIONS = ['.ts', '.cts', '.mts'];

/** Node's own TypeScript support: on by default from 22.18 and 23.6, or by flag from 22.6. */
const STRIP_TYPES_FLAGS = ['--experimental-strip-types', '--experimental-transform-types'];

/** What a loader or preload hook may add as well (tsx finds `./server` as server.ts). */
const SCRIPT_EXTENSIONS = [...NODE_EXTENSIONS, '.cjs', '.mjs', ...LOADER_EXTENSIONS];

/**
 * Anything at `path`, or at the name plus what Node or a loader adds: a name worth checking
 * further (what Node cannot run of it, `server` for server.ts without a loader, is said then).
 */
export const existsAsName = (path: string) => ['', ...SCRIPT_EXTENSIONS].some((extension) => existsSync(path + extension));

/** ` (did you mean server.js?)` when a name beside `path` is obviously the one meant (a typo), else ''. */
export function didYouMeanScript(path: string): string {
  try {
    return didYouMean(basename(path), readdirSync(dirname(path)));
  } catch {
    return '';
  }
}

/** The flags that give a worker a loader or preload hook, which may resolve names Node does not. */
const LOADER_FLAGS = ['--import', '--loader', '--experimental-loader', '--require', '-r'];

/** What the workers' Node options say of loaders: see loaderOf. */
interface Loader {
  /** A loader or preload hook, which may resolve names Node does not. */
  hook: boolean;
  /** Node strips TypeScript's types itself. */
  stripsTypes: boolean;
  /** An env function may set NODE_OPTIONS: not called here, so nothing is known for sure. */
  unknown: boolean;
}

/**
 * The workers' loaders: from the execArgv, or from NODE_OPTIONS as node:cluster passes it
 * (the env object's own, else this process's; an env function is not called here).
 */
function loaderOf(execArgv: readonly string[], env: WorkerEnv | undefined): Loader {
  const nodeOptions = typeof env === 'object' && 'NODE_OPTIONS' in env ? env.NODE_OPTIONS : process.env.NODE_OPTIONS;
  const args = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const has = (flags: readonly string[]) => args.some((arg) => flags.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
  const typescript = (process.features as { typescript?: unknown }).typescript;
  return { hook: has(LOADER_FLAGS), stripsTypes: has(STRIP_TYPES_FLAGS) || (typeof typescript === 'string' && typescript !== ''), unknown: typeof env === 'function' };
}

/**
 * Refuses an `exec` that no worker could run: every fork would die of MODULE_NOT_FOUND until
 * the control gave up. Without a loader, Node runs only what it finds by CommonJS main
 * resolution; with one, any name to which a SCRIPT_EXTENSIONS could be added is left to it.
 */
export function checkExec(exec: string, execArgv: readonly string[], env: WorkerEnv | undefined): void {
  const path = resolve(exec);
  const loader = loaderOf(execArgv, env);
  const extension = extname(path);
  const runnable = loader.hook || loader.unknown || (loader.stripsTypes && TYPESCRIPT_EXTENSIONS.includes(extension));
  if (!runnable && LOADER_EXTENSIONS.includes(extension) && isFile(path)) {
    const reason = `Node ${process.versions.node} cannot run a ${extension} file without a loader (every worker would die of ERR_UNKNOWN_FILE_EXTENSION); give one in execArgv or NODE_OPTIONS, e.g. --import tsx`;
    throw createError('CC_ERR_OPTION_INVALID', { option: 'exec', reason });
  }
  const missing = whatIsMissing(path);
  if (missing === null) return;
  if (loader.hook && (existsSync(path) || SCRIPT_EXTENSIONS.some((extension) => existsSync(path + extension)))) return;
  throw createError('CC_ERR_OPTION_INVALID', { option: 'exec', reason: `there is nothing to run at ${path}${missing}` });
}

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() === true;
const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
/** The file itself, else with one of NODE_EXTENSIONS added. */
const fileAt = (path: string) => [path, ...NODE_EXTENSIONS.map((extension) => path + extension)].some(isFile);
const indexIn = (dir: string) => NODE_EXTENSIONS.some((extension) => isFile(resolve(dir, `index${extension}`)));

/**
 * Null when `node <path>` finds a script: the file, else the name plus .js, .json or .node,
 * else a directory's package.json main (resolved the same way, or its index) or the
 * directory's index. Otherwise what is missing, to follow "there is nothing to run at <path>".
 */
function whatIsMissing(path: string): string | null {
  if (fileAt(path)) return null;
  if (!isDirectory(path)) {
    const near = SCRIPT_EXTENSIONS.map((extension) => path + extension).find(existsSync);
    if (near === undefined) return '';
    return ` (found ${basename(near)}, but without a loader in execArgv or NODE_OPTIONS Node adds only .js, .json or .node to a name)`;
  }
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(resolve(path, 'package.json'), 'utf8')) as { main?: unknown }).main;
  } catch (error) {
    // Node refuses a package.json it cannot parse, index or not.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return ': it is a directory whose package.json Node cannot read';
  }
  const mainPath = typeof main === 'string' && main !== '' ? resolve(path, main) : null;
  if ((mainPath !== null && (fileAt(mainPath) || indexIn(mainPath))) || indexIn(path)) return null;
  if (mainPath === null) return ': it is a directory with no index.js and no package.json main';
  return `: it is a directory with no index.js, and its package.json main ${String(main)} leads to no file`;
}
