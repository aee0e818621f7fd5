// The shape every service of the local stack implements; compose/stack/index.ts drives them all the same way.

export const serviceNames = ['kafka', 'postgres', 'mqtt', 'registry'] as const;
export type ServiceName = (typeof serviceNames)[number];

/** Connection settings of the stack, in the env-var names every linepulse process reads. */
export interface StackEnv {
  KAFKA_BROKERS: string;
  DATABASE_URL: string;
  MQTT_URL: string;
  SCHEMA_REGISTRY_URL: string;
}

export interface StackService {
  name: ServiceName;
  /** host:port it listens on (always 127.0.0.1, fixed port). */
  address: string;
  port: number;
  /** Where its output goes: the file an error message points to. */
  log: string;
  /** Upper bound for start-to-ready. */
  readyTimeoutMs: number;
  /** Binaries or jars present. */
  installed(): boolean;
  /** Fetches what is missing (Maven jars), or throws naming the Debian package to install. */
  install(): Promise<void>;
  /** Pid of the running service process started by the stack, if any. */
  pid(): number | undefined;
  /** Starts it (not yet ready when this resolves). Returns the pid. */
  start(): Promise<number>;
  /** One readiness probe: true when it answers its own protocol. */
  ready(): Promise<boolean>;
  /** Runs once after the first successful readiness probe of a start (e.g. create the database). */
  afterReady?(): Promise<void>;
  /** Stops it; true when it was running. */
  stop(): Promise<boolean>;
}
