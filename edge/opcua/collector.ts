// The OPC-UA collector (node-opcua client): one session per endpoint, subscriptions of up to 2000 monitored items
// for the mapped tags; each DataValue becomes a state / count / measurement / telemetry event with the source timestamp
// as event time, the server timestamp, and the StatusCode as quality.
//
// Reconnection: node-opcua's connection strategy retries with exponential back-off forever; after a network loss
// it re-activates the session, and after a server restart (session gone) it creates a new session and re-creates
// the subscription with every monitored item. We watch that it did: when the subscription has been silent for
// several keep-alive periods, the collector tears the session down and builds it again (belt and braces).
import { mkdirSync } from 'node:fs';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  makeBrowsePath,
  type ClientSession,
  type DataValue,
  type ReadValueIdOptions,
  type UserIdentityInfo,
} from 'node-opcua';
import { ConfigError, describeCause } from '../../platform/errors.ts';
import { resolvePassword } from '../secret.ts';
import type { Logger } from '../../platform/log.ts';
import type { Publish } from '../events.ts';
import type { EdgeMetrics } from '../metrics.ts';
import type { OpcUaEndpointConfig, OpcUaTag } from './config.ts';
import { oneLineCause } from './browse.ts';
import { convertValue, mapDataValue, stateEvent, stateName, telemetryEvent, type PlainDataValue } from '../mapping.ts';

export interface OpcUaCollectorOptions {
  config: OpcUaEndpointConfig;
  publish: Publish;
  logger: Logger;
  metrics: EdgeMetrics;
  /** Default PKI folder when the config names none. */
  pkiDir: string;
  now?: () => number;
}

export interface OpcUaCollector {
  readonly sourceId: string;
  readonly connected: boolean;
  /** Resolves when the first subscription is active (it may take as long as the server is unreachable). */
  readonly ready: Promise<void>;
  /** Monitored items active now, and the tags that failed (bad node id, ...). */
  status(): { connected: boolean; monitored: number; failed: Array<{ tag: string; reason: string }>; reconnects: number };
  stop(): Promise<void>;
}

interface EquipmentStateTracker {
  stateTag: OpcUaTag | null;
  state: string | null;
  reason: string | null;
  emittedState: string | null;
  emittedReason: string | null;
  emittedTime: number | null;
  pending: PlainDataValue | null;
}

const chunkSize = 1_000;

export function startOpcUaCollector(options: OpcUaCollectorOptions): OpcUaCollector {
  const { config, publish, metrics } = options;
  const sourceId = `opcua:${config.id}`;
  const logger = options.logger.child({ component: 'edge.opcua', source: sourceId });
  const now = options.now ?? Date.now;
  const pkiDir = config.pkiDir ?? options.pkiDir;
  mkdirSync(pkiDir, { recursive: true });

  const securityMode = MessageSecurityMode[config.securityMode];
  const securityPolicy =
    config.securityMode === 'None' ? SecurityPolicy.None : config.securityPolicy === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256;
  if (config.securityMode !== 'None' && securityPolicy === SecurityPolicy.None)
    throw new ConfigError(`edge.opcua[${config.id}].securityPolicy`, `security mode ${config.securityMode} needs Basic256Sha256`);
  let userIdentity: UserIdentityInfo = { type: UserTokenType.Anonymous };
  if (config.user) {
    const password = resolvePassword(config.user, `edge.opcua[${config.id}].user`) ?? '';
    userIdentity = { type: UserTokenType.UserName, userName: config.user.username, password };
  }

  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: pkiDir,
    automaticallyAcceptUnknownCertificate: config.trustUnknownServerCertificate,
  });
  const client = OPCUAClient.create({
    applicationName: 'linepulse-edge',
    clientName: `linepulse-edge-${config.id}`,
    securityMode,
    securityPolicy,
    clientCertificateManager,
    endpointMustExist: false,
    keepSessionAlive: true,
    requestedSessionTimeout: 60_000,
    connectionStrategy: { initialDelay: config.reconnect.initialDelayMs, maxDelay: config.reconnect.maxDelayMs, maxRetry: -1, randomisationFactor: 0.1 },
  });

  let connected = false;
  let stopped = false;
  let reconnects = 0;
  let session: ClientSession | null = null;
  let subscriptions: ClientSubscription[] = [];
  let monitored = 0;
  let failed: Array<{ tag: string; reason: string }> = [];
  let lastNotification = now();
  const trackers = new Map<string, EquipmentStateTracker>();
  let flushScheduled = false;

  const setConnected = (value: boolean) => {
    connected = value;
    metrics.connected.set({ source: sourceId }, value ? 1 : 0);
  };
  setConnected(false);

  client.on('backoff', (retry: number, delay: number) => logger.debug({ retry, delay }, 'OPC-UA connect retry'));
  client.on('connection_lost', () => {
    setConnected(false);
    logger.warn({ endpoint: config.endpoint }, 'OPC-UA connection lost, reconnecting');
  });
  client.on('connection_reestablished', () => {
    reconnects += 1;
    metrics.reconnects.inc({ source: sourceId });
    setConnected(true);
    lastNotification = now();
    logger.info({ endpoint: config.endpoint }, 'OPC-UA connection re-established');
  });

  const tracker = (equipment: string): EquipmentStateTracker => {
    let t = trackers.get(equipment);
    if (!t) {
      t = { stateTag: null, state: null, reason: null, emittedState: null, emittedReason: null, emittedTime: null, pending: null };
      trackers.set(equipment, t);
    }
    return t;
  };
  for (const tag of config.tags) if (tag.role === 'state') tracker(tag.equipment).stateTag = tag;

  // State and reason usually change in the same publish; state events are emitted at the end of the event-loop
  // turn so they carry the reason that arrived with them, whatever the order of the notifications.
  const flushStates = () => {
    flushScheduled = false;
    const edgeTime = now();
    for (const t of trackers.values()) {
      if (!t.pending || !t.stateTag || t.state === null) continue;
      const dv = t.pending;
      t.pending = null;
      const time = dv.sourceTimestamp?.getTime() ?? null;
      if (t.state === t.emittedState && t.reason === t.emittedReason && time === t.emittedTime) continue;
      publish(stateEvent(t.stateTag, t.state, t.reason, dv, { sourceId, edgeTime }));
      t.emittedState = t.state;
      t.emittedReason = t.reason;
      t.emittedTime = time;
    }
  };
  const scheduleFlush = () => {
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushStates);
    }
  };

  const onValue = (tag: OpcUaTag, dataValue: DataValue) => {
    lastNotification = now();
    const dv: PlainDataValue = {
      value: dataValue.value?.value,
      sourceTimestamp: dataValue.sourceTimestamp ?? null,
      serverTimestamp: dataValue.serverTimestamp ?? null,
      statusCode: dataValue.statusCode?.value ?? 0,
    };
    const ctx = { sourceId, edgeTime: now() };
    try {
      if (tag.role === 'state') {
        const name = stateName(tag, dv.value);
        if (name === null) {
          publish(telemetryEvent(tag, dv, ctx));
          return;
        }
        const t = tracker(tag.equipment);
        t.state = name;
        t.pending = dv;
        scheduleFlush();
        return;
      }
      if (tag.role === 'stateReason') {
        const t = tracker(tag.equipment);
        if (!t.stateTag) {
          publish(telemetryEvent(tag, dv, ctx));
          return;
        }
        const text = convertValue(dv.value);
        t.reason = text.text ?? (text.number !== null ? String(text.number) : null);
        if (t.reason === '') t.reason = null;
        if (t.state !== null && !t.pending && t.reason !== t.emittedReason) t.pending = dv;
        scheduleFlush();
        return;
      }
      const events = mapDataValue(tag, dv, ctx);
      for (const event of events) {
        if (event.topic === 'telemetry' && event.event.outOfRange) metrics.outOfRange.inc({ source: sourceId });
        publish(event);
      }
    } catch (error) {
      metrics.sourceErrors.inc({ source: sourceId, kind: 'mapping' });
      logger.error({ tag: tag.node ?? tag.browsePath, err: describeCause(error) }, 'OPC-UA value could not be mapped');
    }
  };

  const resolveNodeIds = async (s: ClientSession): Promise<Array<{ tag: OpcUaTag; nodeId: string | null; reason?: string }>> => {
    const byPath = config.tags.filter((t) => t.browsePath);
    const resolved = new Map<OpcUaTag, { nodeId: string | null; reason?: string }>();
    for (let i = 0; i < byPath.length; i += chunkSize) {
      const chunk = byPath.slice(i, i + chunkSize);
      const results = await s.translateBrowsePath(chunk.map((t) => makeBrowsePath('ObjectsFolder', (t.browsePath as string).startsWith('/') ? (t.browsePath as string) : `/${t.browsePath}`)));
      results.forEach((r, j) => {
        const tag = chunk[j] as OpcUaTag;
        const target = r.targets?.[0];
        if (r.statusCode.isGood() && target) resolved.set(tag, { nodeId: target.targetId.toString() });
        else resolved.set(tag, { nodeId: null, reason: `browse path not found: ${r.statusCode.name}` });
      });
    }
    return config.tags.map((tag) => (tag.node ? { tag, nodeId: tag.node } : { tag, ...(resolved.get(tag) ?? { nodeId: null, reason: 'unresolved' }) }));
  };

  const monitoringKey = (tag: OpcUaTag) => {
    const d = config.defaults;
    const sampling = tag.samplingIntervalMs ?? d.samplingIntervalMs ?? -1;
    const queue = tag.queueSize ?? d.queueSize ?? 10;
    const deadband = tag.deadband ?? d.deadband;
    return JSON.stringify({ sampling, queue, deadband: deadband ?? null });
  };

  const newSubscription = async (s: ClientSession): Promise<ClientSubscription> => {
    const sub = ClientSubscription.create(s, {
      requestedPublishingInterval: config.subscription.publishingIntervalMs,
      requestedLifetimeCount: config.subscription.lifetimeCount,
      requestedMaxKeepAliveCount: config.subscription.keepAliveCount,
      maxNotificationsPerPublish: config.subscription.maxNotificationsPerPublish,
      publishingEnabled: true,
      priority: 10,
    });
    await new Promise<void>((resolveStarted, reject) => {
      sub.once('started', () => resolveStarted());
      sub.once('error', (err: Error) => reject(err));
    });
    sub.on('keepalive', () => {
      lastNotification = now();
    });
    subscriptions.push(sub);
    return sub;
  };

  const subscribe = async (s: ClientSession) => {
    subscriptions = [];
    // Items are spread over subscriptions of at most maxItemsPerSubscription: servers cap the notifications of one
    // publish (node-opcua: 1000), so several subscriptions publish in parallel.
    let sub = await newSubscription(s);
    let inSub = 0;
    const targets = await resolveNodeIds(s);
    failed = targets.filter((t) => t.nodeId === null).map((t) => ({ tag: t.tag.browsePath ?? '', reason: t.reason ?? 'unresolved' }));
    const groups = new Map<string, Array<{ tag: OpcUaTag; nodeId: string }>>();
    for (const t of targets) {
      if (t.nodeId === null) continue;
      const key = monitoringKey(t.tag);
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push({ tag: t.tag, nodeId: t.nodeId });
    }
    monitored = 0;
    for (const [key, items] of groups) {
      const { sampling, queue, deadband } = JSON.parse(key) as { sampling: number; queue: number; deadband: { type: 'absolute' | 'percent'; value: number } | null };
      const filter = deadband
        ? new DataChangeFilter({
            trigger: DataChangeTrigger.StatusValue,
            deadbandType: deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
            deadbandValue: deadband.value,
          })
        : null;
      const step = Math.min(chunkSize, config.subscription.maxItemsPerSubscription);
      for (let i = 0; i < items.length; i += step) {
        const chunk = items.slice(i, i + step);
        if (inSub + chunk.length > config.subscription.maxItemsPerSubscription) {
          sub = await newSubscription(s);
          inSub = 0;
        }
        inSub += chunk.length;
        const request: ReadValueIdOptions[] = chunk.map((c) => ({ nodeId: c.nodeId, attributeId: AttributeIds.Value }));
        const group = ClientMonitoredItemGroup.create(sub, request, { samplingInterval: sampling, queueSize: queue, discardOldest: true, filter }, TimestampsToReturn.Both);
        group.on('changed', (_item, dataValue, index) => {
          const entry = chunk[index];
          if (entry) onValue(entry.tag, dataValue);
        });
        await new Promise<void>((resolveInit) => {
          group.once('initialized', () => resolveInit());
          group.once('err', () => resolveInit());
        });
        group.monitoredItems.forEach((item, j) => {
          const entry = chunk[j];
          if (!entry) return;
          if (item.statusCode.isGood()) monitored += 1;
          else {
            failed.push({ tag: entry.tag.node ?? entry.tag.browsePath ?? '', reason: item.statusCode.name });
            metrics.sourceErrors.inc({ source: sourceId, kind: 'monitored-item' });
          }
        });
      }
    }
    if (failed.length > 0) logger.warn({ failed: failed.slice(0, 20), count: failed.length }, 'OPC-UA tags that could not be monitored');
    logger.info({ monitored, subscriptions: subscriptions.length, endpoint: config.endpoint }, 'OPC-UA subscription active');
  };

  const establish = async () => {
    await client.connect(config.endpoint);
    if (stopped) return;
    const s = await client.createSession(userIdentity);
    session = s;
    s.on('session_closed', () => logger.debug('OPC-UA session closed'));
    await subscribe(s);
    setConnected(true);
    lastNotification = now();
  };

  // Watchdog: a healthy subscription sends data or keep-alives at least every keepAliveCount publishing intervals.
  const silenceLimit = Math.max(10_000, 4 * config.subscription.publishingIntervalMs * config.subscription.keepAliveCount);
  let rebuilding = false;
  const watchdog = setInterval(() => {
    if (stopped || rebuilding || !session || !connected) return;
    if (now() - lastNotification < silenceLimit) return;
    rebuilding = true;
    logger.warn({ silentMs: now() - lastNotification }, 'OPC-UA subscription silent, rebuilding session and monitored items');
    void (async () => {
      try {
        for (const sub of subscriptions) await sub.terminate().catch(() => undefined);
        await session?.close().catch(() => undefined);
        session = null;
        const s = await client.createSession(userIdentity);
        session = s;
        await subscribe(s);
        reconnects += 1;
        metrics.reconnects.inc({ source: sourceId });
        lastNotification = now();
      } catch (error) {
        logger.warn({ err: describeCause(error) }, 'OPC-UA session rebuild failed, will retry');
        lastNotification = now();
      } finally {
        rebuilding = false;
      }
    })();
  }, 2_000);
  watchdog.unref();

  const ready = (async () => {
    // Retry the first connection too (bad certificate, server not up yet, session refused), with back-off.
    let delay = config.reconnect.initialDelayMs;
    for (;;) {
      if (stopped) return;
      try {
        await establish();
        return;
      } catch (error) {
        if (stopped) return;
        logger.warn({ endpoint: config.endpoint, err: oneLineCause(error), retryInMs: delay }, 'OPC-UA collector cannot start, retrying');
        await (session as ClientSession | null)?.close().catch(() => undefined);
        session = null;
        await client.disconnect().catch(() => undefined);
        // A server certificate the plant engineer has just moved from rejected/ to trusted/ must count at the next
        // try. The certificate manager learns of such moves from file watchers, which can miss a move made while
        // they start (the stale "rejected" entry then wins for good) and do not work on every file system: rescan
        // the folders while nothing is connecting (a PKI folder holds a few files).
        if (!config.trustUnknownServerCertificate)
          await clientCertificateManager.reloadCertificates().catch((rescanError: unknown) => logger.debug({ err: rescanError }, 'PKI folder rescan failed'));
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(config.reconnect.maxDelayMs, delay * 2);
      }
    }
  })();

  return {
    sourceId,
    get connected() {
      return connected;
    },
    ready,
    status: () => ({ connected, monitored, failed: [...failed], reconnects }),
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      flushStates();
      // With the server gone, terminate/close would wait for a reconnection that never comes: bound them, and
      // skip them when not connected; disconnect() also ends the reconnection attempts.
      const bounded = (p: Promise<unknown> | undefined) => Promise.race([Promise.resolve(p).catch(() => undefined), new Promise((r) => setTimeout(r, 3_000).unref())]);
      if (connected) {
        for (const sub of subscriptions) await bounded(sub.terminate());
        await bounded(session?.close());
      }
      await bounded(client.disconnect());
      setConnected(false);
    },
  };
}
