/**
 * Child processes for the benchmarks: spawning a role (a bench file run with `--import tsx`),
 * reading its output line by line, a broker process's RSS and CPU from /proc, free ports, and
 * one registry that kills every process the suite started, also on SIGINT/SIGTERM or a crash.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';

const started = new Set<ChildProcess>();
const cleanups = new Set<() => void>();

/** Kills the process group of every child still running (anchors start shells that fork),
 * then runs the synchronous clean-ups still registered. */
export function killAll(): void {
  for (const proc of started) killTree(proc);
  for (const fn of cleanups) fn();
  cleanups.clear();
}

/** Registers a synchronous clean-up for killAll (a daemon outside the process group, a
 * temporary directory); the returned function runs it now and unregisters it. */
export function atCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    if (cleanups.delete(fn)) fn();
  };
}

function killTree(proc: ChildProcess): void {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  try {
    // detached children lead their own group: the negative pid reaches the whole group
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    proc.kill('SIGKILL');
  }
}

process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Spawns a process in its own group, registered for the kill-all on exit. */
export function startProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  const proc = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    ...options,
    detached: true,
  });
  started.add(proc);
  proc.once('exit', () => started.delete(proc));
  proc.on('error', (err) => {
    process.stderr.write(`${command}: ${err.message}\n`);
  });
  return proc;
}

/** Runs a bench file as a child role: `node [flags] --import tsx <file> ...args`. */
export function spawnRole(
  file: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): ChildProcess {
  return startProcess(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args]);
}

/** Ends a process (SIGTERM to its group) and resolves once it is gone. */
export async function stopProcess(proc: ChildProcess, ms = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      resolve();
    }),
  );
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    proc.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    killTree(proc);
  }, ms);
  await exited;
  clearTimeout(timer);
}

/** The lines a child prints, one per call; rejects once the child exits without more. */
export function lines(proc: ChildProcess): () => Promise<string> {
  const rl = createInterface({ input: proc.stdout ?? process.stdin });
  const buffered: string[] = [];
  const waiting: { resolve(l: string): void; reject(e: Error): void }[] = [];
  let closed = false;
  rl.on('line', (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else buffered.push(l);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w.reject(new Error('child process ended'));
  });
  return () => {
    const l = buffered.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (closed) return Promise.reject(new Error('child process ended'));
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}

export interface ProcStats {
  /** Resident set size, bytes. */
  readonly rss: number;
  /** User + system CPU time so far, microseconds. */
  readonly cpuMicros: number;
}

const TICK_MICROS = 1e6 / 100; // USER_HZ is 100 on Linux

/** RSS and CPU time of a process (any broker, Node or not) from /proc/<pid>. */
export function procStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // fields after the command name (which may hold spaces) start at field 3
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rss: rssKiB * 1024, cpuMicros: ticks * TICK_MICROS };
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once `port` accepts a TCP connection; rejects after `ms`. */
export async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
