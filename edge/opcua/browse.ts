// `linepulse edge browse`: walks an OPC-UA address space breadth-first from the Objects folder, depth-limited,
// in batches (one Browse request per `batchSize` nodes, continuation points followed with BrowseNext), yielding
// to the event loop between batches so 50k+ nodes never block it. Prints a starter tag mapping to edit.
import {
  BrowseDirection,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type BrowseDescriptionLike,
  type BrowseResult,
  type ClientSession,
  type ReferenceDescription,
} from 'node-opcua';
import { mkdirSync } from 'node:fs';
import { ServiceUnreachableError, describeCause } from '../../platform/errors.ts';
import type { OpcUaEndpointInput, TagRole } from './config.ts';

export interface BrowsedNode {
  nodeId: string;
  /** Browse path from Objects, e.g. `/1:Plant/1:M01/1:State`. */
  browsePath: string;
  browseName: string;
  nodeClass: 'Object' | 'Variable' | 'Method' | 'Other';
  depth: number;
}

export interface BrowseOptions {
  /** Levels below the Objects folder. Default 6. */
  maxDepth?: number;
  /** Stop after this many nodes. Default 200 000. */
  maxNodes?: number;
  /** Nodes per Browse request. Default 200. */
  batchSize?: number;
  /** Also walk namespace 0 (the Server object and its diagnostics). Default false. */
  includeStandard?: boolean;
  onProgress?: (visited: number) => void;
}

const hierarchicalReferences = 'HierarchicalReferences';

export async function browseAddressSpace(session: ClientSession, options: BrowseOptions = {}): Promise<{ nodes: BrowsedNode[]; truncated: boolean }> {
  const maxDepth = options.maxDepth ?? 6;
  const maxNodes = options.maxNodes ?? 200_000;
  const batchSize = options.batchSize ?? 200;
  const nodes: BrowsedNode[] = [];
  const seen = new Set<string>(['ns=0;i=85']);
  let frontier: Array<{ nodeId: string; path: string; depth: number }> = [{ nodeId: 'ns=0;i=85', path: '', depth: 0 }];
  let truncated = false;

  const collect = (parent: { path: string; depth: number }, refs: ReferenceDescription[] | null, next: typeof frontier) => {
    for (const ref of refs ?? []) {
      const nodeId = ref.nodeId.toString();
      if (seen.has(nodeId)) continue;
      if (!options.includeStandard && ref.nodeId.namespace === 0) continue;
      seen.add(nodeId);
      const name = `${ref.browseName.namespaceIndex}:${ref.browseName.name ?? ''}`;
      const path = `${parent.path}/${name}`;
      const nodeClass = ref.nodeClass === NodeClass.Object ? 'Object' : ref.nodeClass === NodeClass.Variable ? 'Variable' : ref.nodeClass === NodeClass.Method ? 'Method' : 'Other';
      nodes.push({ nodeId, browsePath: path, browseName: ref.browseName.name ?? '', nodeClass, depth: parent.depth + 1 });
      if (nodes.length >= maxNodes) {
        truncated = true;
        return;
      }
      if (parent.depth + 1 < maxDepth && nodeClass !== 'Method') next.push({ nodeId, path, depth: parent.depth + 1 });
    }
  };

  while (frontier.length > 0 && !truncated) {
    const next: typeof frontier = [];
    for (let i = 0; i < frontier.length && !truncated; i += batchSize) {
      const chunk = frontier.slice(i, i + batchSize);
      const request: BrowseDescriptionLike[] = chunk.map((n) => ({
        nodeId: n.nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: hierarchicalReferences,
        includeSubtypes: true,
        nodeClassMask: NodeClass.Object | NodeClass.Variable,
        resultMask: 0x3f,
      }));
      const results: BrowseResult[] = await session.browse(request);
      for (let j = 0; j < results.length && !truncated; j += 1) {
        const parent = chunk[j];
        let result = results[j];
        if (!parent || !result) continue;
        collect(parent, result.references, next);
        while (result.continuationPoint && result.continuationPoint.length > 0 && !truncated) {
          result = await session.browseNext(result.continuationPoint, false);
          collect(parent, result.references, next);
        }
        if (truncated && result.continuationPoint?.length) await session.browseNext(result.continuationPoint, true).catch(() => undefined);
      }
      options.onProgress?.(nodes.length);
      await new Promise((r) => setImmediate(r));
    }
    frontier = next;
  }
  return { nodes, truncated };
}

const rolePatterns: Array<[RegExp, TagRole]> = [
  [/reason/i, 'stateReason'],
  [/(^|[^a-z])(state|status|mode)([^a-z]|$)|statecode/i, 'state'],
  [/(good|ok|yield).*(count|parts|pieces)|(count|parts|pieces).*(good|ok)/i, 'goodCounter'],
  [/(reject|scrap|nok|bad|ng).*(count|parts|pieces)?|(count|parts).*(reject|scrap)/i, 'rejectCounter'],
  [/(total|part|piece|produced).*(count|counter)|^counter$|^count$/i, 'totalCounter'],
];

export function guessRole(browseName: string): TagRole {
  for (const [pattern, role] of rolePatterns) if (pattern.test(browseName)) return role;
  return 'sensor';
}

function sanitize(segment: string): string {
  const s = segment.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (s || 'x').slice(0, 64);
}

/**
 * A starter mapping: every variable under an object, mapped to `<equipmentPrefix>/<parent object>` with a role
 * guessed from its name. Meant to be edited (equipment paths, roles, ranges), not used blind.
 */
export function starterMapping(nodes: BrowsedNode[], options: { id: string; endpoint: string; equipmentPrefix: string }): OpcUaEndpointInput {
  const byPath = new Map(nodes.map((n) => [n.browsePath, n]));
  const tags = nodes
    .filter((n) => n.nodeClass === 'Variable')
    .filter((n) => {
      const parentPath = n.browsePath.slice(0, n.browsePath.lastIndexOf('/'));
      return byPath.get(parentPath)?.nodeClass === 'Object';
    })
    .map((n) => {
      const parentPath = n.browsePath.slice(0, n.browsePath.lastIndexOf('/'));
      const parent = byPath.get(parentPath);
      const role = guessRole(n.browseName);
      const prefix = options.equipmentPrefix.split('/').filter(Boolean).slice(0, 5).map(sanitize);
      const equipment = [...prefix, sanitize(parent?.browseName ?? 'equipment')].join('/');
      return {
        node: n.nodeId,
        equipment,
        role,
        tag: n.browseName,
        ...(role === 'processValue' ? { characteristic: n.browseName } : {}),
      };
    });
  return { id: options.id, endpoint: options.endpoint, securityMode: 'None', tags };
}

export interface BrowseEndpointOptions extends BrowseOptions {
  endpoint: string;
  securityMode?: 'None' | 'Sign' | 'SignAndEncrypt';
  user?: { username: string; password: string };
  pkiDir: string;
  trustUnknownServerCertificate?: boolean;
}

/** node-opcua's connection errors span lines; keep the root cause. */
export function oneLineCause(error: unknown): string {
  const text = describeCause(error);
  const inner = /Err = \((.*)\)/.exec(text);
  return inner?.[1] ?? text.split('\n')[0] ?? text;
}

/** Connects, browses, disconnects. Throws ServiceUnreachableError when the endpoint does not answer. */
export async function browseEndpoint(options: BrowseEndpointOptions): Promise<{ nodes: BrowsedNode[]; truncated: boolean }> {
  mkdirSync(options.pkiDir, { recursive: true });
  const mode = options.securityMode ?? 'None';
  const client = OPCUAClient.create({
    applicationName: 'linepulse-edge',
    clientName: 'linepulse-edge-browse',
    securityMode: MessageSecurityMode[mode],
    securityPolicy: mode === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: options.pkiDir, automaticallyAcceptUnknownCertificate: options.trustUnknownServerCertificate ?? false }),
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 2, initialDelay: 500, maxDelay: 2_000 },
  });
  try {
    await client.connect(options.endpoint);
  } catch (error) {
    throw new ServiceUnreachableError('OPC-UA server', options.endpoint, oneLineCause(error));
  }
  try {
    const session = await client.createSession(
      options.user ? { type: UserTokenType.UserName, userName: options.user.username, password: options.user.password } : { type: UserTokenType.Anonymous },
    );
    try {
      return await browseAddressSpace(session, options);
    } finally {
      await session.close().catch(() => undefined);
    }
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}
