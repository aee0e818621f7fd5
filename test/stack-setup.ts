// Global setup of the `integration` and `e2e` vitest projects: brings the real-service stack up (Kafka,
// PostgreSQL, Mosquitto, schema registry; compose/stack) and exports its connection env, which the test
// workers inherit. Teardown stops only the services this run started: a stack that was already up (shared by
// everyone working in this tree) keeps running.
import { stackDown, stackStatus, stackUp } from '../compose/stack/index.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const began = Date.now();
  const wereRunning = new Set((await stackStatus()).filter((entry) => entry.state !== 'stopped' && entry.state !== 'not installed').map((entry) => entry.service));
  let result;
  try {
    result = await stackUp();
  } catch (error) {
    // Don't leave half a stack behind: stop what was not running before this run (then report the failure).
    const startedHere = (await stackStatus()).filter((entry) => entry.pid !== undefined && !wereRunning.has(entry.service));
    await stackDown({ services: startedHere.map((entry) => entry.service) });
    throw error;
  }
  const { env, started } = result;
  Object.assign(process.env, env);
  const note = started.length > 0 ? `started ${started.join(', ')}` : 'already running';
  console.error(`test stack: ${note} in ${((Date.now() - began) / 1000).toFixed(1)} s (${Object.values(env).join(', ')})`);
  return async () => {
    // Silent: the summary reporter's line stays the last line of the run.
    if (started.length > 0) await stackDown({ services: started });
  };
}
