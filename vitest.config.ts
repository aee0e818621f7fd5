import { defineConfig } from 'vitest/config';

// Two tiers (see README): `unit` needs nothing; `integration` (*.int.test.ts) runs against the real stack that
// test/stack-setup.ts brings up once per run (Kafka, PostgreSQL, Mosquitto, schema registry; chDB in-process).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/*.reliability.test.ts', 'node_modules/**', 'dist/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          // Tiers run one after the other, so timing-sensitive tests do not compete with the unit tier for 2 cores.
          sequence: { groupOrder: 1 },
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          globalSetup: ['test/stack-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // The real services are shared; files run one at a time so a 2-core machine is not oversubscribed.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['**/*.e2e.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          globalSetup: ['test/stack-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Fault injection on private services (test/reliability/): its own Kafka, PostgreSQL and Mosquitto, so no
          // global setup; one long test (about 25 min with the durations).
          name: 'reliability',
          sequence: { groupOrder: 3 },
          include: ['**/*.reliability.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          testTimeout: 3 * 3_600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
