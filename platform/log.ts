// Structured JSON logging (pino). One root logger per process, created by the composition root and passed
// down as a factory argument; components take a child with their own `component` field.
//
// Secrets never reach the log, in two layers:
// - fields: pino's redaction censors every field named like a secret (password, token, secret, authorization,
//   cookie, sasl, ...) at the top level and up to three levels down;
// - text: every line is scrubbed before it is written of the values of the process's secret variables (names
//   containing PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, and the contents of their `*_FILE`), of the secrets
//   the caller names, and of the password part of any `scheme://user:password@host` URL, wherever they appear
//   (an error message quoting a connection string, a config echoed in full).
import { readFileSync, statSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Process name: 'edge', 'processors', 'sinks', 'dashboard', 'start', ... */
  name: string;
  /** More secret values to scrub from every line (besides those of the environment). */
  secrets?: readonly string[];
  /** Where lines go; default standard output. */
  destination?: DestinationStream;
  /** Environment to read secret values from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export const censor = '[redacted]';

const secretFields = [
  'password', 'passwd', 'secret', 'token', 'accessToken', 'refreshToken', 'authorization', 'cookie', 'sasl', 'apiKey',
  'privateKey', 'jwtSecret', 'clientSecret',
];

/** pino redaction paths: each secret field at the top level and up to three levels down, and the HTTP headers. */
export const redactPaths: string[] = [
  ...secretFields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  '*.headers["x-api-key"]',
];

const secretName = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|SASL_USERNAME)/i;

/** The secret values of an environment: variables named like a secret, and the contents of their `*_FILE`. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || !secretName.test(name)) continue;
    if (name.endsWith('_FILE')) {
      try {
        if (statSync(value).size <= 64 * 1024) values.push(readFileSync(value, 'utf8').trim());
      } catch {
        // Unreadable now: the component that needs it reports that.
      }
    } else values.push(value);
  }
  return values;
}

const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s"]*:)([^@/\s"]+)@/gi;

/** A function that replaces the given secrets (and URL passwords) in a text by the censor. */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  // Longest first, so a secret containing another is censored whole; JSON-escaped forms too (as a line holds them).
  const forms = [...new Set(secrets.filter((s) => s.length >= 4).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of forms) if (out.includes(s)) out = out.split(s).join(censor);
    return out.replace(urlPassword, `$1${censor}@`);
  };
}

export function createLogger(options: LogOptions): Logger {
  const scrub = scrubber([...secretValues(options.env ?? process.env), ...(options.secrets ?? [])]);
  // pino's own default: synchronous writes to standard output (nothing lost when the process exits).
  const target = options.destination ?? pino.destination({ fd: 1, sync: true });
  const destination = {
    write: (line: string) => target.write(scrub(line)),
    flush: (cb?: (error?: Error) => void) => {
      const t = target as DestinationStream & { flush?: (cb?: (error?: Error) => void) => void };
      if (t.flush) t.flush(cb);
      else cb?.();
    },
  };
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: redactPaths, censor },
    },
    destination,
  );
}

/** A logger that writes nothing, for tests and pure code paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
