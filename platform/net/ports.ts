// Ports for processes that start on demand (simulators, private test brokers): one the OS says is free now.
import { createServer } from 'node:net';

/** A TCP port that is free on `host` at the time of the call (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
