// A private Mosquitto for edge integration tests that must restart the broker (the shared stack's broker is not
// ours to restart): loopback, a free port, persistence in a temp dir, optional user/password and TLS.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../platform/net/ports.ts';

export interface PrivateBroker {
  url: string;
  port: number;
  dir: string;
  /** PEM of the CA that signed the broker certificate (TLS only). */
  caFile?: string;
  stop(): Promise<void>;
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}


async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPrivateMosquitto(options: { users?: Array<{ user: string; password: string }>; tls?: boolean } = {}): Promise<PrivateBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'lp-mosq-'));
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1', 'autosave_on_changes true', 'max_queued_messages 1000000', 'log_dest none'];
  // Run as the current user (as root, mosquitto would switch to its own user and not read this temp dir).
  lines.push(`user ${userInfo().username}`);
  if (options.users && options.users.length > 0) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '');
    for (const u of options.users) execFileSync('mosquitto_passwd', ['-b', pw, u.user, u.password]);
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else lines.push('allow_anonymous true');
  let caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, 'ca.pem');
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=linepulse-test-ca', '-keyout', join(dir, 'ca.key'), '-out', caFile]);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr')]);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run(['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', caFile, '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '1', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'server.pem')]);
    lines.push(`cafile ${caFile}`, `certfile ${join(dir, 'server.pem')}`, `keyfile ${join(dir, 'server.key')}`);
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    await waitForPort(port, 10_000);
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
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    dir,
    ...(caFile ? { caFile } : {}),
    stop,
    async restart(downMs = 1_000) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
