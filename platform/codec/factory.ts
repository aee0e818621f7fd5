// Picks the codec: the Confluent wire format through the schema registry when SCHEMA_REGISTRY_URL is set,
// else the embedded Avro codec (version header, schemas from this checkout). The registry client library is
// loaded only when a registry is configured.
import type { RuntimeEnv } from '../config/env.ts';
import { ServiceUnreachableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createAvroCodec } from './avro.ts';
import type { Codec } from './port.ts';

export interface CodecFactoryOptions {
  env: Pick<RuntimeEnv, 'SCHEMA_REGISTRY_URL'>;
  logger: Logger;
  /** HTTP timeout for registry calls, ms. Default 10 s. */
  registryTimeoutMs?: number;
}

export async function createCodec({ env, logger, registryTimeoutMs = 10_000 }: CodecFactoryOptions): Promise<Codec> {
  const log = logger.child({ component: 'codec' });
  const embedded = createAvroCodec();
  const url = env.SCHEMA_REGISTRY_URL;
  if (!url) {
    log.info({ codec: embedded.kind }, 'codec: embedded Avro with lp-schema version header');
    return embedded;
  }
  const { SchemaRegistryClient, RestError } = await import('./schemaregistry-lib.ts');
  const { createRegistryCodec, isNoAnswer } = await import('./registry.ts');
  const client = SchemaRegistryClient.newClient({
    baseURLs: [url],
    createAxiosDefaults: { timeout: registryTimeoutMs },
    maxRetries: 2,
  });
  // One cheap call proves the registry answers at this URL before any record is produced or consumed.
  try {
    await client.getAllSubjects();
  } catch (error) {
    if (isNoAnswer(error)) throw new ServiceUnreachableError('schema registry', url, error);
    if (error instanceof RestError)
      throw new ServiceUnreachableError(
        'schema registry',
        url,
        `HTTP ${error.status} on GET /subjects: is this the root of a Confluent-compatible API (Apicurio: .../apis/ccompat/v7)?`,
      );
    throw new ServiceUnreachableError('schema registry', url, error);
  }
  log.info({ codec: 'confluent-registry', registry: url }, 'codec: Confluent wire format through the schema registry');
  return createRegistryCodec({ client, url, embedded, logger: log });
}
