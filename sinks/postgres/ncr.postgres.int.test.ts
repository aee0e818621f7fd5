// The NCR draft store contract on the real PostgreSQL server of the test stack: a fresh schema per test.
import { silentLogger } from '../../platform/log.ts';
import { requireService, uniqueName } from '../../test/services.ts';
import { openPostgres } from './db.ts';
import { ncrContract } from './ncr-contract.ts';

ncrContract('PostgreSQL server (pg)', async () => {
  const url = requireService('postgres');
  const schema = uniqueName('lp_ncr');
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
