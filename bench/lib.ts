// Helpers the benchmark modes share: a server in a child process, its CPU and memory from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
  /** What the process wrote to stderr (and stdout up to its ready line). */
  output(): string;
}

export function start(args: string[], env: Record<string, string>, ready: RegExp, cwd: string): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        resolve({
          process: child,
          url: `http://127.0.0.1:${match[1]}`,
          output: () => output,
          stop: () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

/** Where the server's memory is, from its own /metrics (prom-client's default Node metrics). */
export async function memoryBreakdown(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([\\d.e+]+)$`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return `V8 heap used ${value('harborforge_nodejs_heap_size_used_bytes').toFixed(0)} MB of ${value('harborforge_nodejs_heap_size_total_bytes').toFixed(0)} MB, external ${value('harborforge_nodejs_external_memory_bytes').toFixed(0)} MB (main thread)`;
}

/** utime + stime of a process, in seconds (all its threads). */
export const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** NaN once the process is gone (a zombie has no Vm lines; a reaped one no /proc entry). */
export const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return NaN;
  }
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
};

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The same Node flags as `npm start` (package.json), unless BENCH_SERVER_FLAGS says otherwise. */
export function serverFlags(root: string): string[] {
  const startScript: string = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).scripts.start;
  const defaultFlags = startScript.replace(/^node\s+/, '').replace(/\s*dist\/main\.mjs.*$/, '');
  return (process.env.BENCH_SERVER_FLAGS ?? defaultFlags).split(' ').filter(Boolean);
}

export function heartbeatBody(identifier: string, uptime: number) {
  return JSON.stringify({
    identifier,
    openclaw_version: '2026.9.6',
    plugin_version: '0.1.0',
    agents: ['alpha', { id: 'beta', name: 'Beta' }],
    cpu_pct: 23.5,
    mem_pct: 61.2,
    disk_pct: 48,
    swap_pct: 1.5,
    load_avg: [0.61, 0.55, 0.49],
    uptime_seconds: uptime,
  });
}

/**
 * Drives POST /monitor/server/heartbeat-v2, rotating over the fleet's keys. Bodies are built once:
 * the load generator shares the 2 cores with the server under test, so it should spend them on
 * sending, not on JSON.stringify. (A static autocannon `requests` list would be cheaper still,
 * but every connection walks it from the start, so 64 connections would hit the same servers.)
 */
export function driveHeartbeats(url: string, fleet: { identifier: string; key: string }[], options: Partial<autocannon.Options>) {
  const prepared = fleet.map((member, i) => ({
    headers: { 'content-type': 'application/json', 'x-api-key': member.key },
    body: heartbeatBody(member.identifier, 1_000_000 + i),
  }));
  let next = 0;
  return autocannon({
    url: `${url}/monitor/server/heartbeat-v2`,
    ...options,
    requests: [
      {
        method: 'POST',
        setupRequest: (request: any) => {
          const { headers, body } = prepared[next++ % prepared.length]!;
          request.headers = headers;
          request.body = body;
          return request;
        },
      },
    ],
  } as autocannon.Options);
}
