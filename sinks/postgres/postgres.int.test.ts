// The PostgreSQL contract suite on the real PostgreSQL server of the test stack, through `pg`: a fresh schema
// per test, selected for every pooled connection by the connection string's search_path option.
import { silentLogger } from '../../platform/log.ts';
import { requireService, uniqueName } from '../../test/services.ts';
import { postgresContract } from './contract.ts';
import { openPostgres } from './db.ts';

postgresContract('PostgreSQL server (pg)', async () => {
  const url = requireService('postgres');
  const schema = uniqueName('lp_test');
  const admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger() });
  return {
    db,
    async cleanup() {
      await db.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
});
