// server.properties of the shared broker and of a private instance (own ports, data folder, extra listeners).
import { describe, expect, it } from 'vitest';
import { stackDir } from '../artifacts.js';
import { clusterId, kafkaProperties } from './kafka.ts';

const value = (text: string, key: string) => text.split('\n').find((line) => line.startsWith(`${key}=`))?.slice(key.length + 1);

describe('compose/stack > kafka > server.properties', () => {
  it('the shared broker keeps the fixed ports and .stack/kafka/data', () => {
    const text = kafkaProperties(undefined);
    expect(value(text, 'listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(value(text, 'log.dirs')).toBe(`${stackDir}/kafka/data`);
  });

  it('a private instance gets its own ports, data folder and an extra listener advertised elsewhere', () => {
    const text = kafkaProperties({ port: 30001, controllerPort: 30002, home: '/tmp/k', extraListeners: [{ name: 'EDGE', port: 30003, advertisedPort: 30004 }] });
    expect(value(text, 'controller.quorum.voters')).toBe('1@127.0.0.1:30002');
    expect(value(text, 'listeners')).toBe('PLAINTEXT://127.0.0.1:30001,CONTROLLER://127.0.0.1:30002,EDGE://127.0.0.1:30003');
    expect(value(text, 'advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:30001,EDGE://127.0.0.1:30004');
    expect(value(text, 'listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EDGE:PLAINTEXT');
    expect(value(text, 'log.dirs')).toBe('/tmp/k/data');
    expect(value(text, 'inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(text).not.toContain('19092');
  });

  it('never makes a cluster id that starts with "-" (the format tool would read it as an option)', () => {
    const draws = [Buffer.from([0xfb, ...Array<number>(15).fill(1)]), Buffer.from(Array<number>(16).fill(7))];
    expect(Buffer.from([0xfb]).toString('base64url').startsWith('-')).toBe(true);
    const id = clusterId(() => draws.shift() as Buffer);
    expect(id).toBe(Buffer.from(Array<number>(16).fill(7)).toString('base64url'));
    expect(id).toHaveLength(22);
  });
});
