/**
 * Helpers for the inspect tests: a Server-Sent Events reader with bounded waits, a strict
 * Prometheus text-format parser, and a control on the simulated cluster.
 */
import { request } from 'node:http';
import { createControl } from '../../src/runtime/create-control.js';
import { createSimulatedCluster, type ScriptFor } from '../../src/runtime/simulated-cluster.js';
import type { SettingsInput } from '../../src/options.js';

export interface SseMessage {
  event: string;
  data: any;
  /** performance.now() when the message was parsed. */
  at: number;
}

/**
 * Reads `/events` with the token of `url` (the dashboard's, `/?token=…`); `next()` waits
 * (bounded) for the first unread message that matches.
 */
export async function openEvents(url: string) {
  const controller = new AbortController();
  const target = new URL('/events', url);
  target.search = new URL(url).search;
  const res = await fetch(target, { signal: controller.signal });
  if (res.status !== 200 || res.body === null) throw new Error(`GET /events answered ${res.status}`);
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  let read = 0;
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) messages.push({ event, data: JSON.parse(data), at: performance.now() });
          for (const wake of [...waiters]) wake();
        }
      }
    } catch {
      // aborted
    }
    ended = true;
    for (const wake of [...waiters]) wake();
  })();
  return {
    messages,
    get ended() {
      return ended;
    },
    /** The next message (after those already taken) of `event` that satisfies `match`. */
    next(event: string, match: (data: any) => boolean = () => true, timeout = 2000): Promise<SseMessage> {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = read; i < messages.length; i++) {
            const m = messages[i]!;
            if (m.event === event && match(m.data)) {
              read = i + 1;
              finish();
              return resolve(m);
            }
          }
          if (ended) {
            finish();
            reject(new Error(`/events ended before a ${event} message arrived`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no matching ${event} message within ${timeout} ms; got: ${messages.slice(read).map((m) => m.event).join(', ') || 'nothing'}`));
        }, timeout);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses Prometheus text exposition format 0.0.4 strictly: every line is a comment, a
 * `# HELP`/`# TYPE` line or a sample; every sample belongs to a declared metric family
 * (counters end in `_total`); label values are quoted and escaped; values are floats.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sample = new RegExp(`^(${name})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)(?: -?\\d+)?$`);
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const where = `line ${i + 1}: ${line}`;
    if (line.startsWith('# HELP ')) {
      if (!new RegExp(`^# HELP ${name} `).test(line)) throw new Error(`bad HELP, ${where}`);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      if (m === null) throw new Error(`bad TYPE, ${where}`);
      if (types.has(m[1]!)) throw new Error(`TYPE declared twice, ${where}`);
      types.set(m[1]!, m[2]!);
      return;
    }
    if (line.startsWith('#')) return;
    const m = sample.exec(line);
    if (m === null) throw new Error(`bad sample, ${where}`);
    const [, metric, labelText = '', raw] = m;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value, ${where}`);
    const family = types.has(metric!) ? metric! : metric!.replace(/_(bucket|sum|count)$/, '');
    const type = types.get(family);
    if (type === undefined) throw new Error(`sample without TYPE, ${where}`);
    if (type === 'counter' && !metric!.endsWith('_total')) throw new Error(`counter not ending in _total, ${where}`);
    const labels: Record<string, string> = {};
    for (const l of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: metric!, labels, value });
  });
  return { types, samples };
}

/** The value of one series (labels must match exactly those given), or undefined. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** A control on the simulated cluster and clock. */
export function simulatedControl(settings: SettingsInput = {}, scriptFor?: ScriptFor) {
  const sim = createSimulatedCluster(scriptFor === undefined ? {} : { scriptFor });
  const control = createControl({ ...settings, port: sim, clock: sim.clock, signals: false });
  return { sim, control, clock: sim.clock };
}

/** A raw HTTP request, for headers fetch() does not let a test set (Host, Origin). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
