// A short-lived cache of transaction coordinators for kafkajs.
//
// kafkajs 2.2 looks the transaction coordinator up with a FindCoordinator request before every AddPartitionsToTxn,
// TxnOffsetCommit and EndTxn (producer/eosManager: `findTransactionCoordinator` calls
// `cluster.findGroupCoordinator`, which asks a broker each time). A processor task commits one transaction per
// handled batch, so two of the five requests of every transaction were lookups: at 1,000 events/s the processors
// sent ~500 FindCoordinator requests a second (benchmarks/README.md). The coordinator of a transactional id only
// moves when the transaction log's partition leader moves (a broker failure or a reassignment), so a lookup is
// reused for `ttlMs`. kafkajs still reaches the coordinator through its broker pool on every call; when that fails
// the entry is dropped and the coordinator looked up again. A request that reaches a stale coordinator fails with
// NOT_COORDINATOR, as it would after any coordinator move in flight: the transaction fails and the processor
// restores from its changelog (processors/runtime/live.ts).
import { createRequire } from 'node:module';

interface BrokerLike {
  nodeId: number;
}

interface ClusterInternals {
  findGroupCoordinator(args: { groupId: string; coordinatorType?: number }): Promise<BrokerLike>;
  findBroker(args: { nodeId: number }): Promise<BrokerLike>;
}

const require = createRequire(import.meta.url);
let installedTtlMs: number | null = null;

/** Installs the cache on kafkajs' Cluster (once per process; later calls keep the first TTL). */
export function cacheTransactionCoordinators(ttlMs = 1_000): void {
  if (installedTtlMs !== null) return;
  installedTtlMs = ttlMs;
  const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: ClusterInternals };
  const { TRANSACTION } = require('kafkajs/src/protocol/coordinatorTypes.js') as { TRANSACTION: number };
  const find = Cluster.prototype.findGroupCoordinator;
  // Per Cluster instance (each kafkajs client has its own), per transactional id: the coordinator's node id.
  const caches = new WeakMap<object, Map<string, { until: number; nodeId: number }>>();

  Cluster.prototype.findGroupCoordinator = async function (this: ClusterInternals, args) {
    if (args.coordinatorType !== TRANSACTION) return find.call(this, args);
    let cache = caches.get(this);
    if (!cache) caches.set(this, (cache = new Map()));
    const hit = cache.get(args.groupId);
    if (hit && hit.until > Date.now()) {
      try {
        return await this.findBroker({ nodeId: hit.nodeId });
      } catch {
        // gone or unreachable: look it up again (kafkajs refreshed its metadata already)
      }
    }
    cache.delete(args.groupId);
    const broker = await find.call(this, args);
    cache.set(args.groupId, { until: Date.now() + ttlMs, nodeId: broker.nodeId });
    return broker;
  };
}

/** The TTL in force, null before `cacheTransactionCoordinators` (tests). */
export function transactionCoordinatorCacheTtl(): number | null {
  return installedTtlMs;
}
