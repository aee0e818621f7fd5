// Genealogy traces on 1M links in real PostgreSQL: builds the graph (batched multi-row inserts through unnest, into
// the tables and indexes of the real migrations), then times the trace queries of sinks/postgres/genealogy:
// backward (what went into this assembly / pallet), forward (where did this lot go: a typical lot and a lot with a
// 20,000-serial fan-out), both directions along a 100-level chain, and the sink writer with its cycle guard.
// Prints figures (p50/p95/max per query kind), asserts nothing. The seed architecture asks for a 100-level trace in
// under 5 s.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:15432/linepulse npx tsx benchmarks/genealogy-trace.ts [--links 1000000] [--runs 50] [--keep]
//
// The graph (1M links by default): 140,000 assemblies of 3 component serials each, every component made from one
// of 1,000 component lots (the first component of the first 20,000 assemblies from one hot lot: the wide fan-out),
// assemblies packed 20 to a box, boxes 20 to a pallet, component lots made from raw lots (filling up to --links),
// and a separate chain of 100 serials each consumed into the next. Everything goes into a new schema, dropped at
// the end unless --keep.
import { silentLogger } from '../platform/log.ts';
import { openPostgres, type Db } from '../sinks/postgres/db.ts';
import { migratePostgres } from '../sinks/postgres/migrate.ts';
import { traceBackward, traceForward, writeGenealogyLinks, type Trace } from '../sinks/postgres/genealogy/index.ts';
import type { GenealogyLink } from '../schemas/generated/types.ts';
import { stringArg } from './args.ts';

const target = Number(stringArg('--links', '1000000'));
const runs = Number(stringArg('--runs', '50'));
const keep = process.argv.includes('--keep');
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: this benchmark needs a PostgreSQL server (node bin/linepulse.js stack up prints it)');
  process.exit(1);
}
const scale = target / 1_000_000;
const assemblies = Math.max(100, Math.round(140_000 * scale));
const lots = Math.max(10, Math.round(1_000 * scale));
const wide = Math.max(10, Math.round(20_000 * scale));
const chainDepth = 100;
const t0 = Date.parse('2025-03-03T06:00:00Z');
const schema = `bench_genealogy_${Date.now().toString(36)}`;

type Kind = 'LOT' | 'SERIAL' | 'CONTAINER';
type Relation = 'MADE_FROM' | 'CONSUMED_INTO' | 'CONTAINED_IN';

class Batch {
  readonly cols: { id: string[]; pk: Kind[]; p: string[]; ck: Kind[]; c: string[]; rel: Relation[]; wo: (string | null)[]; t: number[] } = { id: [], pk: [], p: [], ck: [], c: [], rel: [], wo: [], t: [] };
  get size(): number {
    return this.cols.id.length;
  }
  add(pk: Kind, p: string, ck: Kind, c: string, rel: Relation, wo: string | null, t: number): void {
    const { cols } = this;
    cols.id.push(`b:${cols.id.length}:${p}:${c}`);
    cols.pk.push(pk);
    cols.p.push(p);
    cols.ck.push(ck);
    cols.c.push(c);
    cols.rel.push(rel);
    cols.wo.push(wo);
    cols.t.push(t);
  }
}

async function flush(db: Db, b: Batch): Promise<void> {
  if (b.size === 0) return;
  const c = b.cols;
  await db.query(
    `INSERT INTO genealogy_links (event_id, parent_kind, parent_id, child_kind, child_id, relation, quantity, unit, work_order, equipment, event_time)
     SELECT id, pk, p, ck, c, rel, 1, 'pcs', wo, 'acme/plant1/assembly/line1/cell4/assembly', to_timestamp(t / 1000.0)
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[]) AS x(id, pk, p, ck, c, rel, wo, t)`,
    [c.id, c.pk, c.p, c.ck, c.c, c.rel, c.wo, c.t],
  );
}

/** Streams the graph into the table in batches; returns the number of links. */
async function build(db: Db): Promise<number> {
  let total = 0;
  let batch = new Batch();
  const add = async (pk: Kind, p: string, ck: Kind, c: string, rel: Relation, wo: string | null, t: number) => {
    batch.add(pk, p, ck, c, rel, wo, t);
    total += 1;
    if (batch.size >= 20_000) {
      await flush(db, batch);
      batch = new Batch();
    }
  };
  for (let a = 0; a < assemblies; a += 1) {
    const t = t0 + a * 1_000;
    const wo = `WO-${Math.floor(a / 500)}`;
    for (let k = 0; k < 3; k += 1) {
      const component = `C-${a}-${k}`;
      await add('SERIAL', `A-${a}`, 'SERIAL', component, 'CONSUMED_INTO', wo, t);
      const lot = k === 0 && a < wide ? 'LOT-WIDE' : `LC-${(a * 3 + k) % lots}`;
      await add('SERIAL', component, 'LOT', lot, 'MADE_FROM', wo, t - 60_000);
    }
    await add('CONTAINER', `BOX-${Math.floor(a / 20)}`, 'SERIAL', `A-${a}`, 'CONTAINED_IN', wo, t + 60_000);
  }
  const boxes = Math.ceil(assemblies / 20);
  for (let b = 0; b < boxes; b += 1) await add('CONTAINER', `PAL-${Math.floor(b / 20)}`, 'CONTAINER', `BOX-${b}`, 'CONTAINED_IN', null, t0 + b * 20_000 + 120_000);
  for (let i = 0; i < chainDepth; i += 1) await add('SERIAL', `D-${i}`, 'SERIAL', `D-${i + 1}`, 'CONSUMED_INTO', 'WO-DEEP', t0 + i * 1_000);
  for (let r = 0; total + 1 <= target; r += 1) await add('LOT', `LC-${r % lots}`, 'LOT', `RAW-${r}`, 'MADE_FROM', null, t0 - 86_400_000);
  await flush(db, batch);
  return total;
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return `p50 ${q(0.5).toFixed(1)} ms  p95 ${q(0.95).toFixed(1)} ms  max ${sorted.at(-1)!.toFixed(1)} ms`;
}

async function time(name: string, n: number, query: (i: number) => Promise<Trace>): Promise<void> {
  const ms: number[] = [];
  let rows = 0;
  let depth = 0;
  await query(0); // warm the plan and the cache
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    const t = await query(i);
    ms.push(performance.now() - started);
    rows += t.links.length;
    depth = Math.max(depth, t.depth);
  }
  console.log(`${name.padEnd(44)} ${String(n).padStart(4)} runs  ${stats(ms)}  (${Math.round(rows / n)} links, depth ${depth})`);
}

async function main(): Promise<void> {
  const admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url!);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger(), maxConnections: 2 });
  try {
    await migratePostgres(db, silentLogger());
    const version = (await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`))[0]?.v;
    console.log(`genealogy-trace: PostgreSQL ${version}, schema ${schema}`);
    let started = performance.now();
    const links = await build(db);
    const loadS = (performance.now() - started) / 1000;
    started = performance.now();
    await db.exec('ANALYZE genealogy_links');
    const size = (await db.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('genealogy_links')) AS s`))[0]?.s;
    console.log(`built ${links.toLocaleString('en')} links in ${loadS.toFixed(1)} s (${Math.round(links / loadS).toLocaleString('en')} links/s, batched inserts of 20,000 with the 3 indexes live), analyze ${((performance.now() - started) / 1000).toFixed(1)} s, table + indexes ${size}`);

    const pick = (i: number, n: number) => (i * 7919) % n;
    await time('backward: assembly (what went into A-n)', runs, (i) => traceBackward(db, { kind: 'SERIAL', id: `A-${pick(i, assemblies)}` }));
    await time('backward: pallet (400 assemblies inside)', Math.min(runs, 20), (i) => traceBackward(db, { kind: 'CONTAINER', id: `PAL-${pick(i, Math.ceil(assemblies / 400))}` }));
    await time('forward: component lot (where did LC-n go)', runs, (i) => traceForward(db, { kind: 'LOT', id: `LC-${pick(i, lots)}` }));
    await time(`forward: hot lot (${wide.toLocaleString('en')}-serial fan-out)`, Math.min(runs, 10), () => traceForward(db, { kind: 'LOT', id: 'LOT-WIDE' }));
    await time('backward: 100-level chain from its top', runs, () => traceBackward(db, { kind: 'SERIAL', id: 'D-0' }, { maxDepth: 100 }));
    await time('forward: 100-level chain from its bottom', runs, () => traceForward(db, { kind: 'SERIAL', id: `D-${chainDepth}` }, { maxDepth: 100 }));

    // The sink path: 20,000 new links through writeGenealogyLinks (idempotency and cycle guard included), then the
    // same batch again (a replay).
    const fresh: GenealogyLink[] = Array.from({ length: 20_000 }, (_, i) => ({
      eventId: `gen:sink:${i}`,
      eventTime: t0 + i,
      parentKind: 'CONTAINER',
      // Odd: an assembly with components into a box that sits on a pallet: cycle-checked. Even: into a new box.
      parentId: i % 2 === 0 ? `BOX-NEW-${Math.floor(i / 20)}` : `BOX-${i % Math.ceil(assemblies / 20)}`,
      childKind: 'SERIAL',
      childId: `A-${(i * 7) % assemblies}`,
      relation: 'CONTAINED_IN',
      quantity: 1,
      unit: 'pcs',
      workOrder: null,
      equipment: null,
      sourceEventId: null,
      status: 'ACCEPTED',
      rejectReason: null,
    }));
    started = performance.now();
    await db.transaction((tx) => writeGenealogyLinks(tx, fresh));
    const firstS = (performance.now() - started) / 1000;
    started = performance.now();
    await db.transaction((tx) => writeGenealogyLinks(tx, fresh));
    console.log(`sink writer: 20,000 links of assemblies into boxes (10,000 cycle-checked: into boxes already on a pallet) in ${firstS.toFixed(2)} s, the same batch replayed in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } finally {
    await db.close();
    if (!keep) await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    else console.log(`kept schema ${schema}`);
    await admin.close();
  }
}

await main();
