/**
 * Fuzzing the control socket of a real `clusterchart run`: more than 10,000 random and
 * malformed lines (bad JSON, JSON of every shape, requests with wrong types, unknown
 * commands, binary junk, lines over 64 KiB, lines cut into random chunks, connections
 * dropped mid-line), from 16 clients at once. Afterwards `status` still answers, the same
 * workers serve (same pids, never a transition), and every error reply was a coded one.
 *
 * Requests that would legitimately change the cluster (a valid `stop`, `set-size`, …) are
 * left out by asking the protocol's own parser; everything else must be harmless.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseArgs, parseRequest } from '../../src/server/protocol.js';
import { type RunProcess, fixture, killStarted, requireBuild, startRun, status, tempDir, within } from '../cli/helpers.js';

let run: RunProcess;
let removeDir: () => void;
let pids: number[];

beforeAll(async () => {
  requireBuild();
  const t = tempDir('cc-fuzz-');
  removeDir = t.remove;
  run = await startRun([fixture('http-app.cjs'), '--size', '2'], { sock: t.sock });
  pids = (await status(t.sock)).workers.map((w) => w.pid!);
}, 30_000);

afterAll(() => {
  killStarted();
  removeDir?.();
});

const commands = ['status', 'set-size', 'add', 'remove', 'restart', 'shutdown', 'terminate', 'stop', 'events'];
const harmlessCommands = new Set(['status', 'events']);

/** True when the server would run this line as a command that changes the cluster. */
function disruptive(line: string): boolean {
  const request = parseRequest(line.trim());
  if (request.error !== undefined || harmlessCommands.has(request.cmd)) return false;
  try {
    parseArgs(request.cmd, request.args);
    return true;
  } catch {
    return false;
  }
}

const safeJson = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return '{';
  }
};

const requestLike = fc
  .record(
    {
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double(), fc.anything()),
      cmd: fc.oneof(fc.constantFrom(...commands), fc.string({ unit: 'binary', maxLength: 40 }), fc.anything()),
      args: fc.oneof(
        fc.anything(),
        fc.record({ size: fc.anything(), n: fc.anything(), ids: fc.anything(), wait: fc.anything(), force: fc.anything() }, { requiredKeys: [] }),
      ),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  )
  .map(safeJson);

/** One line's bytes, newline excluded (a line may still hold newlines: then it is several). */
const line: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 50, arbitrary: requestLike },
    { weight: 20, arbitrary: fc.json() },
    { weight: 20, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 10, arbitrary: fc.tuple(requestLike, fc.nat()).map(([text, cut]) => text.slice(0, cut % Math.max(1, text.length))) },
    { weight: 10, arbitrary: fc.constantFrom('{', '}', '[]', '""', 'null', '1e999', '{"cmd":"status"', '{"id":1,"cmd":"status"}}', '\r', '\u0000') },
    { weight: 10, arbitrary: fc.nat({ max: 3_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`) },
    // Over 64 KiB: a command that would stop everything, if it were not discarded unread.
    { weight: 1, arbitrary: fc.integer({ min: 64 * 1024, max: 200_000 }).map((n) => `{"id":1,"cmd":"stop","args":{"force":true},"pad":"${'x'.repeat(n)}"}`) },
  )
  .map((text) => Buffer.from(text, 'utf8'))
  .chain((buffer) => fc.oneof({ weight: 9, arbitrary: fc.constant(buffer) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) }))
  .filter((bytes) => !bytes.toString('utf8').split('\n').some(disruptive));

const client = fc.record({
  lines: fc.array(line, { minLength: 30, maxLength: 50 }),
  /** Where the byte stream is cut into writes, as fractions. */
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
  /** How the client leaves: half-close and read every reply, or drop the connection. */
  leave: fc.constantFrom('end', 'end', 'end', 'destroy'),
  /** The stream ends without its last newline (a half line). */
  halfLast: fc.boolean(),
});

interface Outcome {
  replies: Array<Record<string, unknown>>;
  lines: number;
}

function talk(sock: string, spec: { lines: Buffer[]; cuts: number[]; leave: string; halfLast: boolean }): Promise<Outcome> {
  const chunks = spec.lines.flatMap((l, i) => (i === spec.lines.length - 1 && spec.halfLast ? [l] : [l, Buffer.from('\n')]));
  const bytes = Buffer.concat(chunks);
  const lines = bytes.toString('utf8').split('\n').filter((l) => l.trim() !== '').length;
  const cuts = [...new Set(spec.cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  return new Promise((resolve, reject) => {
    const socket = connect({ path: sock });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may end a connection it is done with while we still write: fine.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => {
      const replies = received
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ replies, lines });
    });
    socket.on('connect', () => {
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        if (cut > from) socket.write(bytes.subarray(from, cut));
        from = cut;
      }
      if (spec.leave === 'destroy') socket.destroy();
      else socket.end();
    });
  });
}

const runs = 25;

it('survives 10,000+ random and malformed lines from many clients at once', async () => {
  const linesBefore = run.lines.length;
  let sent = 0;
  let replies = 0;
  const codes = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.array(client, { minLength: 16, maxLength: 16 }), async (clients) => {
      const outcomes = await within(Promise.all(clients.map((spec) => talk(run.sock, spec))), 15_000, () => 'every fuzz client to finish');
      for (const outcome of outcomes) {
        sent += outcome.lines;
        replies += outcome.replies.length;
        for (const reply of outcome.replies) {
          expect(Object.keys(reply)).toContain('id');
          if (reply.ok === false) {
            const code = (reply.error as { code: string }).code;
            codes.add(code);
            expect(code).toMatch(/^CC_ERR_SERVER_/);
          } else expect(reply.ok === true || 'event' in reply).toBe(true);
        }
      }
      const now = await status(run.sock);
      expect(now.workers.map((w) => w.pid)).toEqual(pids);
      expect(now.workers.every((w) => w.state === 'online.ready' && w.restarts === 0)).toBe(true);
    }),
    { numRuns: runs, endOnFailure: true },
  );
  expect(sent).toBeGreaterThanOrEqual(10_000);
  expect(replies).toBeGreaterThan(5_000);
  expect([...codes]).toEqual(expect.arrayContaining(['CC_ERR_SERVER_BAD_JSON', 'CC_ERR_SERVER_BAD_REQUEST', 'CC_ERR_SERVER_UNKNOWN_COMMAND', 'CC_ERR_SERVER_BAD_ARGS']));

  // The workers were never disturbed: no transition since they first became ready.
  const final = await status(run.sock);
  expect(final.master).toMatchObject({ state: 'running', generation: 1, size: 2, health: 'ok' });
  expect(run.lines.slice(linesBefore).filter((l) => /^#\d+\[/.test(l))).toEqual([]);
  console.log(`fuzz: ${sent} lines from ${runs * 16} clients, ${replies} replies, codes ${[...codes].sort().join(' ')}`);
}, 180_000);
