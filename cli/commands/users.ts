// `linepulse users add|list|set-role|disable|enable`: user administration of the dashboard from a shell (the admin
// screen does the same over the API). Works on the PostgreSQL of the environment (DATABASE_URL, else the embedded
// PGlite under LINEPULSE_DATA_DIR; PGlite is one process at a time, so stop `start` first or use the admin screen).
//
// The password never goes on the command line (it would show in the process list and the shell history): it comes
// from a file (--password-file), an environment variable (--password-env NAME) or standard input
// (--password-stdin), without a prompt, and is never printed or logged.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../../platform/errors.ts';
import type { Queryable } from '../../sinks/postgres/db.ts';
import type { Role } from '../../sinks/postgres/users.ts';

const roleNames: readonly Role[] = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin'];
const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function parseRoles(value: string): Role[] {
  const list = [...new Set(value.split(',').map((r) => r.trim()).filter(Boolean))];
  const wrong = list.find((r) => !(roleNames as readonly string[]).includes(r));
  if (wrong !== undefined || list.length === 0) throw new InvalidArgumentError(`give roles from ${roleNames.join(', ')}, comma-separated${wrong ? ` ('${wrong}' is not one)` : ''}`);
  return list as Role[];
}

function username(value: string): string {
  if (!usernamePattern.test(value)) throw new InvalidArgumentError('lower case letters, digits, . _ - (1 to 64, starting with a letter or digit)');
  return value;
}

export interface PasswordSource {
  passwordFile?: string;
  passwordEnv?: string;
  passwordStdin?: boolean;
}

/** The password from exactly one source; one trailing newline of a file or stdin is dropped. */
export async function readPassword(source: PasswordSource, io: { env: Record<string, string | undefined>; stdin: () => Promise<string> }): Promise<string> {
  const given = [source.passwordFile !== undefined, source.passwordEnv !== undefined, source.passwordStdin === true].filter(Boolean).length;
  if (given !== 1) throw new ConfigError('users add', 'give the password with exactly one of --password-file <file>, --password-env <NAME>, --password-stdin');
  let password: string;
  if (source.passwordFile !== undefined) {
    const file = source.passwordFile;
    password = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`--password-file ${file}`, error.code === 'ENOENT' ? 'no such file' : (error.code ?? 'cannot be read'));
    });
  } else if (source.passwordEnv !== undefined) {
    const value = io.env[source.passwordEnv];
    if (value === undefined || value === '') throw new ConfigError(`--password-env ${source.passwordEnv}`, 'the variable is not set');
    password = value;
  } else {
    password = await io.stdin();
  }
  password = password.replace(/\r?\n$/, '');
  if (password.length < 8) throw new ConfigError('users add', 'a password has at least 8 characters');
  return password;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What each subcommand does, on an open database; returns the lines to print. */
export const usersActions = {
  async add(db: Queryable, args: { username: string; password: string; roles: Role[]; displayName?: string }): Promise<string[]> {
    const { createUser } = await import('../../sinks/postgres/users.ts');
    const created = await createUser(db, { username: args.username, password: args.password, roles: args.roles, displayName: args.displayName ?? null });
    if (created === 'exists') throw new ConfigError(`users add ${args.username}`, 'the user exists (change its roles with set-role)');
    return [`created ${args.username} (${args.roles.join(', ')})`];
  },
  async list(db: Queryable): Promise<string[]> {
    const { listUsers } = await import('../../sinks/postgres/users.ts');
    const users = await listUsers(db);
    const width = Math.max(8, ...users.map((u) => u.username.length));
    return [
      `${'USERNAME'.padEnd(width)}  ${'STATUS'.padEnd(8)}  ROLES`,
      ...users.map((u) => `${u.username.padEnd(width)}  ${(u.disabled ? 'disabled' : 'enabled').padEnd(8)}  ${u.roles.join(',')}${u.displayName ? `  (${u.displayName})` : ''}`),
    ];
  },
  async setRole(db: Queryable, args: { username: string; roles: Role[] }): Promise<string[]> {
    const { setUserRoles } = await import('../../sinks/postgres/users.ts');
    if (!(await setUserRoles(db, args.username, args.roles))) throw new ConfigError(`users set-role ${args.username}`, 'no such user');
    return [`${args.username}: ${args.roles.join(', ')} (applies at its next token refresh)`];
  },
  async disable(db: Queryable, args: { username: string; disabled: boolean }): Promise<string[]> {
    const { setUserDisabled } = await import('../../sinks/postgres/users.ts');
    if (!(await setUserDisabled(db, args.username, args.disabled))) throw new ConfigError(`users ${args.disabled ? 'disable' : 'enable'} ${args.username}`, 'no such user');
    return [`${args.username} ${args.disabled ? 'disabled' : 'enabled'}`];
  },
};

/** Opens and migrates the environment's PostgreSQL, runs `work`, closes it, prints the lines. */
async function withDb(work: (db: Queryable) => Promise<string[]>): Promise<void> {
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { openPostgres } = await import('../../sinks/postgres/db.ts');
  const { migratePostgres } = await import('../../sinks/postgres/migrate.ts');
  const env = readEnv();
  // Quiet unless asked: the output is the answer.
  const logger = createLogger({ name: 'users', level: process.env.LOG_LEVEL ?? 'warn' });
  const db = await openPostgres({ url: env.DATABASE_URL, dataDir: env.dataDir, logger });
  try {
    await migratePostgres(db, logger);
    const lines = await db.transaction((tx) => work(tx));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await db.close();
  }
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('Dashboard users and roles (viewer, supervisor, quality, maintenance, admin)');
  users
    .command('add')
    .description('Create a user; the password comes from a file, an environment variable or stdin (never the command line)')
    .argument('<username>', 'lower case letters, digits, . _ -', username)
    .requiredOption('--role <roles>', `comma-separated: ${roleNames.join(', ')}`, parseRoles)
    .option('--display-name <name>', 'shown in the dashboard')
    .option('--password-file <file>', 'read the password from this file (one trailing newline dropped)')
    .option('--password-env <NAME>', 'read the password from this environment variable')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, options: PasswordSource & { role: Role[]; displayName?: string }) => {
      const password = await readPassword(options, { env: process.env, stdin: readStdin });
      await withDb((db) => usersActions.add(db, { username: name, password, roles: options.role, ...(options.displayName ? { displayName: options.displayName } : {}) }));
    });
  users
    .command('list')
    .description('Every user with its roles and status (no passwords)')
    .action(async () => withDb((db) => usersActions.list(db)));
  users
    .command('set-role')
    .description('Replace the roles of a user')
    .argument('<username>', 'the user', username)
    .argument('<roles>', `comma-separated: ${roleNames.join(', ')}`, parseRoles)
    .action(async (name: string, roles: Role[]) => withDb((db) => usersActions.setRole(db, { username: name, roles })));
  users
    .command('disable')
    .description('Disable a user: no more logins; its session ends at the next token refresh')
    .argument('<username>', 'the user', username)
    .action(async (name: string) => withDb((db) => usersActions.disable(db, { username: name, disabled: true })));
  users
    .command('enable')
    .description('Enable a disabled user again')
    .argument('<username>', 'the user', username)
    .action(async (name: string) => withDb((db) => usersActions.disable(db, { username: name, disabled: false })));
}
