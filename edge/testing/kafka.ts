// A private single-node Kafka (KRaft) for edge tests that stop the broker: the shared stack's broker is not ours to
// stop. Uses the stack's jars (compose/stack installs them), its own free ports and a temp log dir.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaInstalled, kafkaLibsDir } from '../../compose/stack/artifacts.js';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

export interface PrivateKafka {
  brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateKafka(): Promise<PrivateKafka> {
  if (!kafkaInstalled()) throw new Error('Kafka jars missing: run `node bin/linepulse.js stack up` (it installs them under .stack/kafka/libs)');
  const dir = mkdtempSync(join(tmpdir(), 'lp-kafka-'));
  const port = await freePort();
  const controller = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'default.replication.factor=1',
      'min.insync.replicas=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=3',
      'auto.create.topics.enable=false',
      'group.initial.rebalance.delay.ms=0',
      'group.min.session.timeout.ms=1000',
      'log.retention.ms=-1',
      'num.network.threads=2',
      'num.io.threads=2',
      'background.threads=2',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(log4j, 'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n');
  const cp = `${kafkaLibsDir}/*`;
  await run('java', ['-cp', cp, `-Dlog4j.configuration=file:${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', randomBytes(16).toString('base64url'), '-c', props, '--ignore-formatted']);
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('java', ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${log4j}`, '-cp', cp, 'kafka.Kafka', props], { stdio: 'ignore' });
    const deadline = Date.now() + 120_000;
    while (!(await listening(port))) {
      if (Date.now() > deadline) throw new Error(`private Kafka did not listen on ${port} within 120 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    brokers: [`127.0.0.1:${port}`],
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
