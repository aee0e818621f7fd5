// The genealogy core: BarcodeScan + MaterialConsumption per equipment -> GenealogyLink (keyed by parent id).
// Pure and deterministic; the model, conventions and scan protocol are in README.md.
//
// Links, always parent <- child ("child went into / was made from / is contained in parent"):
//   - lot -> serial: a GS1 scan with a lot (10) and a serial (21): parent SERIAL, child LOT, MADE_FROM;
//   - component -> assembly: at an ASSEMBLY station, what is scanned after the parent: CONSUMED_INTO the parent;
//   - license plates: at a PACKING station, what is scanned after the container (SSCC or plain code), including
//     other containers: CONTAINED_IN it;
//   - material consumption with `intoId`: the consumed lot/serial/container CONSUMED_INTO (CONTAINED_IN for a
//     container) what it went into.
// Event ids derive from the input event id (`gen:<input>`, `gen:<input>:lot`), so a replay or a redelivery gives
// the same links and the sink stores each once. A link that would close a cycle (a material inside itself) is not
// made: it goes out with status REJECTED and the reason, for the operator; the PostgreSQL sink checks the same
// against the whole graph, which no single equipment sees.
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { BarcodeScan, GenealogyLink, GenealogyRelation, MaterialConsumption, MaterialKind } from '../../schemas/generated/types.ts';
import type { GenealogyConfig, GenealogyStation } from './config.ts';

export interface Material {
  kind: MaterialKind;
  id: string;
  quantity: number | null;
}

export interface GenealogyState {
  /** Open parent per scanner station (`*` for stations configured without a station id). */
  open: Record<string, Material>;
  /** Remembered links of this equipment: children per parent (`KIND|id`), for the local cycle check. */
  children: Record<string, string[]>;
  /** Remembered links in arrival order (`parent\u0000child`), oldest first, for eviction. */
  order: string[];
}

export const materialKey = (kind: MaterialKind, id: string): string => `${kind}|${id}`;

function describe(key: string): string {
  const bar = key.indexOf('|');
  return `${key.slice(0, bar)} ${key.slice(bar + 1)}`;
}

/** What a scan identifies: SSCC (00) -> container, serial (21) -> serial, lot (10) -> lot, plain code -> config. */
export function materialOfScan(scan: BarcodeScan, config: GenealogyConfig): Material | null {
  const gs1 = scan.gs1;
  if (gs1) {
    const count = gs1.quantity ?? null;
    const sscc = gs1.other['00'];
    if (sscc) return { kind: 'CONTAINER', id: sscc, quantity: null };
    if (gs1.serial) return { kind: 'SERIAL', id: gs1.serial, quantity: 1 };
    if (gs1.lot) return { kind: 'LOT', id: gs1.lot, quantity: count };
    return null;
  }
  if (scan.code) return { kind: config.plainCodeKind, id: scan.code, quantity: config.plainCodeKind === 'SERIAL' ? 1 : null };
  return null;
}

function stationFor(config: GenealogyConfig, equipment: string, station: string): { rule: GenealogyStation; slot: string } | null {
  for (const rule of config.stations) {
    if (rule.equipment !== equipment) continue;
    if (rule.station === undefined) return { rule, slot: '*' };
    if (rule.station === station) return { rule, slot: station };
  }
  return null;
}

function isParentScan(scan: BarcodeScan, material: Material, rule: NonNullable<GenealogyStation['parent']>): boolean {
  const gs1 = scan.gs1;
  if (rule.ai === '00' && !gs1?.other['00']) return false;
  if (rule.ai === '21' && !gs1?.serial) return false;
  if (rule.ai === '10' && (!gs1?.lot || gs1.serial)) return false;
  if (rule.gtins && !(gs1?.gtin && rule.gtins.includes(gs1.gtin))) return false;
  if (rule.pattern !== undefined && !new RegExp(rule.pattern).test(material.id)) return false;
  return true;
}

/** The path child -> ... -> parent through remembered links when `parent` is already inside `child`, else null. */
function pathInside(state: GenealogyState, child: string, parent: string): string[] | null {
  if (child === parent) return [child];
  const seen = new Set<string>([child]);
  const queue: Array<{ key: string; path: string[] }> = [{ key: child, path: [child] }];
  for (let i = 0; i < queue.length; i += 1) {
    const { key, path } = queue[i]!;
    for (const next of state.children[key] ?? []) {
      if (next === parent) return [...path, next];
      if (!seen.has(next)) {
        seen.add(next);
        queue.push({ key: next, path: [...path, next] });
      }
    }
  }
  return null;
}

function remember(state: GenealogyState, parent: string, child: string, config: GenealogyConfig): void {
  if (config.maxRememberedLinks === 0) return;
  const list = state.children[parent] ?? [];
  if (list.includes(child)) return;
  state.children[parent] = [...list, child];
  state.order.push(`${parent}\u0000${child}`);
  while (state.order.length > config.maxRememberedLinks) {
    const [p = '', c = ''] = state.order.shift()!.split('\u0000');
    const rest = (state.children[p] ?? []).filter((k) => k !== c);
    if (rest.length > 0) state.children[p] = rest;
    else delete state.children[p];
  }
}

interface LinkSpec {
  eventId: string;
  parent: Material;
  child: Material;
  relation: GenealogyRelation;
  quantity: number | null;
  unit: string | null;
  workOrder: string | null;
}

function link(state: GenealogyState, input: CoreInput, spec: LinkSpec, config: GenealogyConfig, outputs: CoreOutput[]): void {
  const parentKey = materialKey(spec.parent.kind, spec.parent.id);
  const childKey = materialKey(spec.child.kind, spec.child.id);
  const inside = pathInside(state, childKey, parentKey);
  const value: GenealogyLink = {
    eventId: spec.eventId,
    eventTime: input.eventTime,
    parentKind: spec.parent.kind,
    parentId: spec.parent.id,
    childKind: spec.child.kind,
    childId: spec.child.id,
    relation: spec.relation,
    quantity: spec.quantity,
    unit: spec.unit,
    workOrder: spec.workOrder,
    equipment: input.key,
    sourceEventId: input.eventId,
    status: inside ? 'REJECTED' : 'ACCEPTED',
    rejectReason: inside ? cycleReason(spec, inside) : null,
  };
  if (!inside) remember(state, parentKey, childKey, config);
  outputs.push({ topic: 'genealogy', key: spec.parent.id, value });
}

/** The operator-facing reason of a refused link. */
export function cycleReason(spec: { parent: Material; child: Material; relation: GenealogyRelation }, path: string[]): string {
  const parent = `${spec.parent.kind} ${spec.parent.id}`;
  const child = `${spec.child.kind} ${spec.child.id}`;
  if (path.length <= 1) return `refused: ${child} cannot be linked to itself (${spec.relation})`;
  return `refused: linking ${child} ${spec.relation} ${parent} would close a cycle, because ${parent} is already inside ${child} (${path.map(describe).join(' > ')}); check the scan order at the station`;
}

function onScan(prev: GenealogyState, input: CoreInput, config: GenealogyConfig): CoreResult<GenealogyState> {
  const scan = input.value as BarcodeScan;
  if (scan.status !== 'ACCEPTED') return { state: prev, outputs: [] };
  const state: GenealogyState = { open: { ...prev.open }, children: { ...prev.children }, order: [...prev.order] };
  const outputs: CoreOutput[] = [];
  const gs1 = scan.gs1;
  if (config.lotSerialLinks && gs1?.lot && gs1.serial) {
    link(state, input, {
      eventId: `gen:${input.eventId}:lot`,
      parent: { kind: 'SERIAL', id: gs1.serial, quantity: 1 },
      child: { kind: 'LOT', id: gs1.lot, quantity: null },
      relation: 'MADE_FROM',
      quantity: null,
      unit: null,
      workOrder: scan.workOrder,
    }, config, outputs);
  }
  const station = stationFor(config, input.key, scan.station);
  if (station) {
    const { rule, slot } = station;
    if (scan.code !== null && rule.closeCodes.includes(scan.code)) {
      delete state.open[slot];
      return { state, outputs };
    }
    // A work-order barcode (the edge makes it the active order) is no material.
    const material = scan.code !== null && scan.code === scan.workOrder ? null : materialOfScan(scan, config);
    if (material) {
      const open = state.open[slot];
      const parentScan = rule.parent ? isParentScan(scan, material, rule.parent) : open === undefined;
      if (parentScan) {
        state.open[slot] = rule.role === 'PACKING' ? { ...material, kind: 'CONTAINER' } : material;
      } else if (open) {
        link(state, input, {
          eventId: `gen:${input.eventId}`,
          parent: open,
          child: material,
          relation: rule.role === 'PACKING' ? 'CONTAINED_IN' : 'CONSUMED_INTO',
          quantity: material.quantity,
          unit: material.quantity !== null ? 'pcs' : null,
          workOrder: scan.workOrder,
        }, config, outputs);
      }
    }
  }
  return { state, outputs };
}

function onConsumption(prev: GenealogyState, input: CoreInput, config: GenealogyConfig): CoreResult<GenealogyState> {
  const m = input.value as MaterialConsumption;
  if (m.intoId === null || m.intoKind === null || m.intoId === '') return { state: prev, outputs: [] };
  const state: GenealogyState = { open: prev.open, children: { ...prev.children }, order: [...prev.order] };
  const outputs: CoreOutput[] = [];
  link(state, input, {
    eventId: `gen:${input.eventId}`,
    parent: { kind: m.intoKind, id: m.intoId, quantity: null },
    child: { kind: m.materialKind, id: m.materialId, quantity: m.quantity },
    relation: m.intoKind === 'CONTAINER' ? 'CONTAINED_IN' : 'CONSUMED_INTO',
    quantity: m.quantity,
    unit: m.unit,
    workOrder: m.workOrder,
  }, config, outputs);
  return { state, outputs };
}

export const genealogyCore: ProcessorCore<GenealogyState, GenealogyConfig> = {
  name: 'genealogy',
  inputs: ['scans', 'materialConsumption'],
  outputs: ['genealogy'],
  reorderMs: (config) => config.reorderMs,
  initialState: () => ({ open: {}, children: {}, order: [] }),
  process(state, input, config) {
    switch (input.topic) {
      case 'scans':
        return onScan(state, input, config);
      case 'materialConsumption':
        return onConsumption(state, input, config);
      default:
        return { state, outputs: [] };
    }
  },
};
