// Structured JSON logging (pino). One root logger per process, created by the composition root and passed
// down as a factory argument; components take a child with their own `component` field.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Process name: 'edge', 'processors', 'sinks', 'dashboard', 'start', ... */
  name: string;
}

export function createLogger(options: LogOptions): Logger {
  return pino({
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    // Secrets never reach the log, whatever a component passes in.
    redact: {
      paths: ['password', '*.password', 'sasl', '*.sasl', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}

/** A logger that writes nothing, for tests and pure code paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
