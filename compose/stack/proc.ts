// Process plumbing of the local stack: pid files, liveness, detached start, polling, stopping, start locks.
// Linux only (reads /proc), like the rest of compose/stack.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { stackDir } from './artifacts.js';

export const logsDir = join(stackDir, 'logs');
const pidsDir = join(stackDir, 'pids');

export function logFile(name: string): string {
  return join(logsDir, `${name}.log`);
}

export function pidFile(name: string): string {
  return join(pidsDir, `${name}.pid`);
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePid(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

export function removePid(file: string): void {
  rmSync(file, { force: true });
}

/**
 * True when `pid` is a live process (not a zombie) whose command line contains `marker`: a recycled pid of some
 * other program does not count as our service.
 */
export function isAlive(pid: number | undefined, marker: string): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 is the state; the command name (field 2) is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** One TCP connect attempt to 127.0.0.1:`port`. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface DetachedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  log: string;
}

/** Starts a long-running process that outlives this one; stdout and stderr append to `log`. Returns its pid. */
export function spawnDetached(command: string, args: string[], options: DetachedOptions): number {
  mkdirSync(dirname(options.log), { recursive: true });
  rotateLog(options.log);
  const fd = openSync(options.log, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

const maxLogBytes = 64 * 1024 * 1024;

/** Keeps one previous log (`<log>.1`) when the log outgrew 64 MB; called before each start. */
export function rotateLog(file: string): void {
  try {
    if (statSync(file).size > maxLogBytes) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

/** Runs a short command to completion; rejects with its last output lines when it fails. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`${command} ${args[0] ?? ''} exited with ${code}${tail ? `: ${tail}` : ''}`));
      }
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns true or `timeoutMs` passes; `giveUp` (checked each round) stops early, e.g. when
 * the process died. Resolves to 'ready', 'timeout' or 'gave-up'.
 */
export async function pollUntil(
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; giveUp?: () => boolean },
): Promise<'ready' | 'timeout' | 'gave-up'> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return 'ready';
    if (options.giveUp?.()) return 'gave-up';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(options.intervalMs ?? 250);
  }
}

/** Sends `signal`, waits up to `timeoutMs` for the process to go, then kills it. True when it was running. */
export async function stopProcess(pid: number | undefined, marker: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<boolean> {
  if (!isAlive(pid, marker) || pid === undefined) return false;
  try {
    process.kill(pid, signal);
  } catch {
    return false;
  }
  const gone = await pollUntil(async () => !isAlive(pid, marker), { timeoutMs, intervalMs: 100 });
  if (gone !== 'ready') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await pollUntil(async () => !isAlive(pid, marker), { timeoutMs: 5_000, intervalMs: 100 });
  }
  return true;
}

/**
 * Serialises starts of one service across processes (several engineers and test runs share one stack): an
 * exclusive lock file holding the owner's pid; a lock whose owner died is taken over.
 */
export async function withLock<T>(name: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  const file = join(pidsDir, `${name}.lock`);
  mkdirSync(pidsDir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readPid(file);
      if (owner === undefined ? lockAgeMs(file) > 10_000 : owner !== process.pid && !isAlive(owner, '')) rmSync(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`lock ${file} held by pid ${owner ?? '?'} for more than ${timeoutMs / 1000} s`, { cause: error });
      else await sleep(200);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(file, { force: true });
  }
}

function lockAgeMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** The last `lines` lines of a log file, for error messages ('' when unreadable). */
export function logTail(file: string, lines = 1): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}
