// Containment of an SPC alarm (GET /api/spc/alarms/:alarmId/containment without HTTP): the chart points from the
// first point of the pattern on (ClickHouse through chDB), then the forward genealogy traces of the suspect serials and
// lots, 250 per query (PostgreSQL: the server of DATABASE_URL in a scratch schema, else PGlite), merged with paths. Prints ms per round
// and the sizes; asserts nothing.
//
//   npx tsx benchmarks/spc-containment.ts [--serials 1000] [--rounds 5]
//
// Data: one serial per plotted point after the alarm's first point, 100 serials per lot; each serial consumed into its
// own assembly, 20 assemblies per box: 2 links per serial, so 1 000 serials read 2 000 links (5 000 hit the default
// budget of 10 000 links and come back truncated).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../platform/log.ts';
import type { GenealogyLink } from '../schemas/generated/types.ts';
import { insertBatch } from '../sinks/clickhouse/insert.ts';
import { openClickHouse } from '../sinks/clickhouse/store.ts';
import { spcPointsTable } from '../sinks/clickhouse/tables.ts';
import { writeSpcAlarms } from '../sinks/postgres/alarms.ts';
import { openPostgres, type Db } from '../sinks/postgres/db.ts';
import { writeGenealogyLinks } from '../sinks/postgres/genealogy/index.ts';
import { migratePostgres } from '../sinks/postgres/migrate.ts';
import { createSpcQualityQueries } from '../sinks/spc-quality.ts';
import { press, spcAlarm, spcPoint, T0 } from '../sinks/testing/fixtures.ts';
import { positiveArg } from './args.ts';

const serials = positiveArg('--serials', 1_000);
const rounds = positiveArg('--rounds', 5);

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-bench-containment-'));
const clickhouse = await openClickHouse({ dataDir, database: 'bench_containment', logger: silentLogger(), retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } });
await clickhouse.migrate();
await insertBatch(clickhouse, spcPointsTable as never, Array.from({ length: serials }, (_, i) => spcPointsTable.toRow(spcPoint(i + 1, { lots: [`LOT-${Math.floor(i / 100)}`] }))));

const url = process.env.DATABASE_URL;
const schema = `bench_containment_${process.pid}`;
let admin: Db | null = null;
let postgres: Db;
if (url) {
  admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  postgres = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger() });
} else {
  postgres = await openPostgres({ dataDir, logger: silentLogger() });
}
try {
  await migratePostgres(postgres, silentLogger());
  const alarm = spcAlarm(1, 1, { pointIndexes: [1] });
  await writeSpcAlarms(postgres, [alarm]);
  const links: GenealogyLink[] = [];
  const link = (parent: GenealogyLink['parentKind'], parentId: string, childId: string, relation: GenealogyLink['relation']): GenealogyLink => ({
    eventId: `bench:${links.length}`, eventTime: T0 + links.length, parentKind: parent, parentId, childKind: 'SERIAL', childId, relation,
    quantity: 1, unit: 'pcs', workOrder: 'WO-1001', equipment: press, sourceEventId: null, status: 'ACCEPTED', rejectReason: null,
  });
  for (let i = 1; i <= serials; i++) {
    links.push(link('SERIAL', `ASM-${i}`, `SN-${i}`, 'CONSUMED_INTO'));
    links.push(link('CONTAINER', `BOX-${Math.floor(i / 20)}`, `ASM-${i}`, 'CONTAINED_IN'));
  }
  for (let i = 0; i < links.length; i += 2_000) await writeGenealogyLinks(postgres, links.slice(i, i + 2_000));

  const spc = createSpcQualityQueries({ clickhouse, postgres });
  const ms: number[] = [];
  let last = await spc.spcContainment(alarm.eventId); // warm-up
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    last = await spc.spcContainment(alarm.eventId);
    ms.push(Math.round(performance.now() - t));
  }
  console.log(
    `spc containment (${postgres.kind}): ${last!.direct.serials.length} serials, ${last!.direct.lots.length} lots -> ${last!.expanded.materials.length} downstream materials, ${last!.expanded.rows} links read${last!.expanded.truncated ? ' (budget spent: truncated)' : ''}; ms per round ${ms.join(', ')}`,
  );
} finally {
  await postgres.close();
  if (admin) {
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await admin.close();
  }
  await clickhouse.close();
  rmSync(dataDir, { recursive: true, force: true });
}
