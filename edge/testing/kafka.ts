// A private single-node Kafka (KRaft) for edge tests that stop the broker: the shared stack's broker is not ours to
// stop. The stack's Kafka service (compose/stack) on its own free ports and a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instanceUp, kafkaService } from '../../compose/stack/index.ts';
import { freePort } from '../../platform/net/ports.ts';

export interface PrivateKafka {
  brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateKafka(): Promise<PrivateKafka> {
  const home = mkdtempSync(join(tmpdir(), 'lp-kafka-'));
  const service = kafkaService({ port: await freePort(), controllerPort: await freePort(), home });
  const start = async () => {
    await instanceUp(service);
  };
  const stop = async () => {
    await service.stop();
  };
  await start();
  return {
    brokers: [service.address],
    start,
    stop,
    async close() {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
