// `npm run bench -- hostile`: what each hostile GraphQL request costs the server (issue 8): wall
// time, answer size, the server process's peak RSS, and whether it still answers afterwards.
// 3,000 servers with telemetry; the server runs as `npm start` does (bundle, 512 MB heap cap),
// restarted before each case so that each peak RSS is that case's. BENCH_ROOT points at another
// checkout's built dist/ (e.g. the code before the limits) to compare in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertFleet } from '../test/hardening/fleet.ts';

const root = process.env.BENCH_ROOT ?? join(import.meta.dirname, '..');
const FLEET = Number(process.env.BENCH_FLEET ?? 3000);
const TIMEOUT_MS = 30_000;
const ROW = 'servers { identifier name status lastSeenAt openclawVersion cpuPct memPct }';
const aliases = (n: number) => `query { ${Array.from({ length: n }, (_, i) => `a${i}: overview { ${ROW} }`).join(' ')} }`;

const CASES: Record<string, string> = {
  'status page query (1 whole overview)': `query { overview { ${ROW} } }`,
  '15 aliases of the overview': aliases(15),
  '300 aliases of the overview': aliases(300),
  '1,000 aliases of the overview (issue 8)': aliases(1000),
  'fragment cycle': 'query { overview { ...A } } fragment A on Overview { totals { online } ...B } fragment B on Overview { ...A }',
  'depth 40 through fragments': `query { overview { ...F0 } } ${Array.from({ length: 40 }, (_, i) => `fragment F${i} on Overview { totals { online } ${i < 39 ? `...F${i + 1}` : ''} }`).join(' ')}`,
};

function startServer(dataDir: string): Promise<{ url: string; pid: number; stop(): Promise<void>; exited(): boolean }> {
  const child = spawn(process.execPath, ['--max-semi-space-size=4', '--max-old-space-size=512', join(root, 'dist/main.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, HARBORFORGE_ADMIN_TOKEN: 'bench-admin-token-0123456789', LOG_LEVEL: 'warn', RATE_LIMIT_ANONYMOUS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  child.once('exit', () => (exited = true));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /status page (http:\/\/\S+?)\/ /.exec(output);
      if (!match) return;
      resolve({
        url: match[1]!,
        pid: child.pid!,
        exited: () => exited,
        stop: () => new Promise((r) => (exited ? r() : (child.once('exit', () => r()), child.kill('SIGKILL')))),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output.slice(-2000)}`)));
  });
}

const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
};

async function post(url: string, query: string) {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    const code = /"code":"([A-Z_]+)"/.exec(text.slice(0, 2000))?.[1] ?? '';
    return { ms: performance.now() - started, bytes: text.length, outcome: `${response.status}${code ? ' ' + code : ''}` };
  } catch (error) {
    return { ms: performance.now() - started, bytes: 0, outcome: `failed: ${(error as Error).cause ?? (error as Error).message}` };
  }
}

export async function benchHostile(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hf-bench-hostile-'));
  try {
    const first = await startServer(dataDir);
    await first.stop();
    insertFleet(dataDir, FLEET, 'bench');
    console.log(`hostile requests against ${root} with ${FLEET} servers (512 MB heap cap, one fresh server process per case)`);
    for (const [name, query] of Object.entries(CASES)) {
      const server = await startServer(dataDir);
      const idle = rssMb(server.pid, 'VmRSS');
      // Sampled while the request runs: a process that dies takes its /proc entry with it.
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.pid, 'VmHWM') || 0)), 50);
      const result = await post(server.url, query);
      clearInterval(sampler);
      peak = Math.max(peak, rssMb(server.pid, 'VmHWM') || 0);
      await new Promise((r) => setTimeout(r, 500));
      const after = server.exited() ? null : await post(server.url, '{ __typename }');
      const state = server.exited() ? 'PROCESS EXITED' : after!.outcome.startsWith('200') ? `still answering (${after!.ms.toFixed(0)} ms)` : `NOT ANSWERING (${after!.outcome})`;
      console.log(
        `${name.padEnd(42)} ${result.outcome.padEnd(26)} ${result.ms.toFixed(0).padStart(6)} ms  answer ${(result.bytes / 1e6).toFixed(2).padStart(7)} MB  ` +
          `RSS idle ${idle.toFixed(0)} MB peak ${peak.toFixed(0)} MB  ${state}`,
      );
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
