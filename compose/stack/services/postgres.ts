// PostgreSQL from Debian: a throwaway cluster in .stack/postgres on 127.0.0.1:15432, trust auth, durability off.
// `postgresService({ port, dataDir, log })` is a private cluster (own port, data directory and log) for tests that
// stop and restart their database.
import { createHash } from 'node:crypto';
import { chownSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { repoRoot, stackDir } from '../artifacts.js';
import { isAlive, logFile, readPid, rotateLog, run, stopProcess } from '../proc.ts';
import type { StackService } from '../types.ts';

export const postgresPort = 15432;
export const databaseName = 'linepulse';
const marker = 'postgres';
const settings = fileURLToPath(new URL('../postgres/linepulse.conf', import.meta.url));

/** The newest Debian PostgreSQL's bin directory, e.g. /usr/lib/postgresql/15/bin. */
function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((name) => existsSync(join(base, name, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

const asRoot = process.getuid?.() === 0;

/** Every folder from / to `dir` lets others through (needed when the server runs as `postgres` and we are root). */
function traversableByOthers(dir: string): boolean {
  let current = dir;
  const { root } = parse(dir);
  while (current !== root) {
    current = dirname(current);
    if ((statSync(current).mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * The cluster's data directory: .stack/postgres, unless we are root and the repo sits under a folder the
 * `postgres` user cannot enter (a clone under /root): then a folder in the temp dir named after the repo path.
 */
export function postgresDataDir(): string {
  const local = join(stackDir, 'postgres');
  if (!asRoot || traversableByOthers(stackDir)) return local;
  const tag = createHash('sha256').update(repoRoot).digest('hex').slice(0, 12);
  return join(tmpdir(), `linepulse-stack-${tag}`, 'postgres');
}

/** Runs a PostgreSQL tool as the `postgres` user when we are root (initdb and postgres refuse to run as root). */
function pgTool(tool: string, args: string[]): Promise<string> {
  const bin = binDir();
  if (bin === undefined) throw new Error('PostgreSQL is not installed');
  const path = join(bin, tool);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', path, ...args], { cwd: '/' }) : run(path, args);
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const fields = line?.split(':') ?? [];
  if (fields.length < 4) throw new Error('no `postgres` user in /etc/passwd (Debian package postgresql creates it)');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** A private cluster. As root, every folder above `dataDir` and `log` must let the `postgres` user through. */
export interface PostgresInstanceOptions {
  port: number;
  dataDir: string;
  log: string;
}

export function postgresService(instance?: PostgresInstanceOptions): StackService {
  const port = instance?.port ?? postgresPort;
  const address = `127.0.0.1:${port}`;
  const log = instance?.log ?? logFile('postgres');
  const dataDirOf = () => instance?.dataDir ?? postgresDataDir();
  return {
    name: 'postgres',
    address,
    port,
    log,
    readyTimeoutMs: 60_000,
    installed: () => binDir() !== undefined,
    async install() {
      throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): run `node compose/stack/ensure-tools.js` (Debian package postgresql)');
    },
    pid() {
      // The postmaster writes its pid on the first line of postmaster.pid.
      const pid = readPid(join(dataDirOf(), 'postmaster.pid'));
      return isAlive(pid, marker) ? pid : undefined;
    },
    async start() {
      const data = dataDirOf();
      const owner = asRoot ? postgresUser() : undefined;
      if (!existsSync(join(data, 'PG_VERSION'))) {
        mkdirSync(data, { recursive: true, mode: 0o700 });
        if (owner) chownSync(data, owner.uid, owner.gid);
        await pgTool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
        const conf = join(data, 'postgresql.conf');
        writeFileSync(conf, `${readFileSync(conf, 'utf8')}\ninclude_if_exists = 'linepulse.conf'\n`);
      }
      if (instance) writeFileSync(join(data, 'linepulse.conf'), readFileSync(settings, 'utf8').replace(/^port = \d+$/m, `port = ${port}`));
      else copyFileSync(settings, join(data, 'linepulse.conf'));
      mkdirSync(dirname(log), { recursive: true });
      rotateLog(log);
      closeSync(openSync(log, 'a'));
      if (owner) {
        chownSync(join(data, 'linepulse.conf'), owner.uid, owner.gid);
        chownSync(log, owner.uid, owner.gid);
      }
      // -W: don't wait here; the stack polls readiness with its own timeout and error message.
      await pgTool('pg_ctl', ['-D', data, '-l', log, '-W', 'start']);
      for (let i = 0; i < 50; i++) {
        const pid = this.pid();
        if (pid !== undefined) return pid;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`pg_ctl started no postmaster (no ${join(data, 'postmaster.pid')})`);
    },
    async ready() {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async afterReady() {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      await client.connect();
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [databaseName]);
        if (exists.rowCount === 0) await client.query(`create database ${databaseName}`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown (what `pg_ctl stop -m fast` sends).
      return stopProcess(this.pid(), marker, 'SIGINT', 30_000);
    },
  };
}
