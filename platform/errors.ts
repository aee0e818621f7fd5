// Errors a plant engineer can act on: one line naming what failed and where.

/** Invalid configuration: `where` is the env var, file path or config key. */
export class ConfigError extends Error {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(`config error at ${where}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** A service (Kafka, PostgreSQL, ClickHouse, MQTT, OPC-UA, registry) could not be reached. */
export class ServiceUnreachableError extends Error {
  constructor(
    readonly service: string,
    readonly address: string,
    cause?: unknown,
  ) {
    super(`cannot reach ${service} at ${address}: ${describeCause(cause)}`, { cause });
    this.name = 'ServiceUnreachableError';
  }
}

/** A record or message that cannot be decoded or validated; `reason` goes to the dead-letter headers. */
export class MalformedInputError extends Error {
  constructor(
    readonly reason: string,
    readonly where?: string,
  ) {
    super(where ? `malformed input at ${where}: ${reason}` : `malformed input: ${reason}`);
    this.name = 'MalformedInputError';
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeCause(cause.errors[0]);
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return cause === undefined ? 'no answer' : String(cause);
}

/** One line for the terminal: the message of a known error, otherwise name and message. */
export function oneLine(error: unknown): string {
  if (error instanceof ConfigError || error instanceof ServiceUnreachableError || error instanceof MalformedInputError)
    return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`.split('\n')[0] ?? error.name;
  return String(error);
}
