// The single-machine default MQTT broker: aedes in-process on 127.0.0.1, used by `linepulse start` when MQTT_URL
// is not set (Sparkplug B sensor nodes of the simulator publish to it; the edge's MQTT collector reads it).
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedMqttBroker {
  readonly url: string;
  close(): Promise<void>;
}

export async function startEmbeddedMqttBroker(options: { host?: string; port?: number } = {}): Promise<EmbeddedMqttBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://${host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
