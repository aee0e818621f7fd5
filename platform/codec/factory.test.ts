import { createServer as createHttpServer } from 'node:http';
import { describe, expect, test } from 'vitest';
import { ServiceUnreachableError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { createCodec } from './factory.ts';
import { freePort } from '../net/ports.ts';

const logger = silentLogger();


describe('createCodec', () => {
  test('no SCHEMA_REGISTRY_URL: the embedded Avro codec', async () => {
    const codec = await createCodec({ env: {}, logger });
    expect((codec as { kind?: string }).kind).toBe('embedded-avro');
  });

  test('SCHEMA_REGISTRY_URL: the registry codec', async () => {
    const codec = await createCodec({ env: { SCHEMA_REGISTRY_URL: 'mock://' }, logger });
    expect((codec as { kind?: string }).kind).toBe('confluent-registry');
  });

  test('registry unreachable: ServiceUnreachableError naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await createCodec({ env: { SCHEMA_REGISTRY_URL: url }, logger, registryTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect(error).toMatchObject({ service: 'schema registry', address: url });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  test('something answers, but not a registry API: ServiceUnreachableError with a hint', async () => {
    const server = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not here'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const error = await createCodec({ env: { SCHEMA_REGISTRY_URL: url }, logger }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnreachableError);
      expect((error as Error).message).toBe(
        `cannot reach schema registry at ${url}: HTTP 404 on GET /subjects: is this the root of a Confluent-compatible API (Apicurio: .../apis/ccompat/v7)?`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
