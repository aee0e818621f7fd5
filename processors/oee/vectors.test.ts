// Golden vectors: published worked examples (processors/oee/vectors/*.json, each citing its source) written as
// event streams, run through `linepulse replay` (processors/runtime/replay.ts with the registered OEE core, as
// `linepulse replay events.ndjson --processors oee` does), and through the runtime driver straight, with the key
// state serialised and restored after every arrival, and with every event late.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OeeWindow } from '../../schemas/generated/types.ts';
import { formatReplayLine, parseReplayLine } from '../../schemas/replay-format.ts';
import type { CoreOutput } from '../contract.ts';
import { createDriver, deserializeKeyState, serializeKeyState } from '../runtime/driver.ts';
import { runOffline, topicNameOf, type OfflineRecord } from '../runtime/offline.ts';
import { replayText } from '../runtime/replay.ts';
import { bindProcessors } from '../registry.ts';
import { oeeConfig } from './config.ts';
import { oee } from './core.ts';

interface Expectation {
  windowKind: OeeWindow['windowKind'];
  windowId: string;
  revision?: number;
  /** The last (highest revision) record of the window. */
  final?: boolean;
  exact: Partial<OeeWindow>;
  /** Published figures: [value, decimals, 'truncated'?]. */
  published: Record<'availability' | 'performance' | 'quality' | 'oee', [number, number, string?]>;
}

interface Vector {
  name: string;
  source: { citation: string; section: string; published: string; verification: string; encoding: string };
  equipment: string;
  config: unknown;
  events: Array<{ note: string; topic: string; key: string; value: unknown }>;
  expect: Expectation[];
}

const dir = fileURLToPath(new URL('./vectors/', import.meta.url));
const vectors: Array<[string, Vector]> = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f, JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as Vector]);

/** The vector's events as replay records (validated against the Avro contracts like `linepulse replay` input). */
function records(v: Vector): OfflineRecord[] {
  return v.events.map((e, i) => {
    const r = parseReplayLine(JSON.stringify({ topic: e.topic, key: e.key, value: e.value }), i + 1);
    return { topic: topicNameOf(r.topic)!, key: r.key, value: r.value };
  });
}

function latest(outputs: readonly CoreOutput[]): Map<string, OeeWindow> {
  const out = new Map<string, OeeWindow>();
  for (const o of outputs) {
    const w = o.value as OeeWindow;
    const k = `${w.windowKind} ${w.windowId}`;
    const prev = out.get(k);
    if (prev === undefined || w.revision > prev.revision) out.set(k, w);
  }
  return out;
}

function published(value: number | null, [expected, decimals, mode]: [number, number, string?]): void {
  expect(value).not.toBeNull();
  const scale = 10 ** decimals;
  const shown = (mode === 'truncated' ? Math.floor(value! * scale) : Math.round(value! * scale)) / scale;
  expect(shown).toBe(expected);
}

function check(v: Vector, outputs: readonly CoreOutput[], kinds?: ReadonlyArray<OeeWindow['windowKind']>): void {
  const windows = latest(outputs);
  for (const e of v.expect) {
    if (kinds !== undefined && !kinds.includes(e.windowKind)) continue;
    const w = windows.get(`${e.windowKind} ${e.windowId}`);
    expect(w, `${e.windowKind} ${e.windowId} emitted`).toBeDefined();
    if (e.revision !== undefined) expect(w!.revision).toBe(e.revision);
    expect(w).toMatchObject(e.exact);
    for (const k of ['availability', 'performance', 'quality', 'oee'] as const) published(w![k], e.published[k]);
    // The six big losses add up to the planned production time not turned into good pieces.
    const losses = Object.values(w!.losses).reduce((s, x) => s + x, 0);
    expect(losses).toBeCloseTo(w!.plannedProductionTimeMs * (1 - w!.oee!), 3);
  }
}

describe('OEE > golden vectors', () => {
  it.each(vectors)('%s cites its source', (_file, v) => {
    for (const field of ['citation', 'section', 'published', 'verification', 'encoding'] as const) expect(v.source[field].length).toBeGreaterThan(20);
    for (const e of v.events) expect(e.note.length).toBeGreaterThan(5);
  });

  it.each(vectors)('%s: linepulse replay gives the published figures', (_file, v) => {
    const ndjson = v.events.map((e) => JSON.stringify({ topic: e.topic, key: e.key, value: e.value })).join('\n');
    // The plant config of the vector is the `processors.oee` section; the replay writer validates every output
    // against the OeeWindow contract.
    const { lines } = replayText(ndjson, bindProcessors({ processors: { oee: v.config } }, ['oee']));
    const outputs = lines.map((l) => JSON.parse(l) as { key: string; value: OeeWindow }).map((r) => ({ topic: 'oee' as const, key: r.key, value: r.value }));
    check(v, outputs);
    // Same figures through the driver directly, and every record valid on its own.
    const direct = runOffline([{ core: oee, config: oeeConfig(v.config) }], records(v));
    check(v, direct);
    for (const o of direct) expect(() => formatReplayLine({ topic: 'oee', key: o.key, value: o.value })).not.toThrow();
  });

  it.each(vectors)('%s: state serialised and restored after every arrival gives the same output', (_file, v) => {
    const config = oeeConfig(v.config);
    const straight = runOffline([{ core: oee, config }], records(v));
    const driver = createDriver(oee, config);
    let json = serializeKeyState(driver.initialKeyState(v.equipment));
    const outputs: CoreOutput[] = [];
    for (const r of records(v)) {
      const value = r.value as { eventId: string; eventTime: number };
      const res = driver.ingest(deserializeKeyState(json), { ...r, eventId: value.eventId, eventTime: value.eventTime });
      outputs.push(...res.outputs);
      json = serializeKeyState(res.state);
    }
    outputs.push(...driver.flush(deserializeKeyState(json), v.equipment).outputs);
    expect(outputs).toEqual(straight);
  });

  it.each(vectors)('%s: the stream reversed (everything late) ends with the same closed windows', (_file, v) => {
    // A lateness bound covering the whole example: nothing is too late to be folded in.
    const config = oeeConfig({ ...(v.config as object), maxLatenessMs: 48 * 3_600_000 });
    const all = records(v);
    // The last event first (it moves the watermark), then the rest newest first: every other event is late.
    const reversed = [all[all.length - 1]!, ...all.slice(0, -1).reverse()];
    const closedOf = (outs: readonly CoreOutput[]) =>
      [...latest(outs).values()].filter((w) => w.windowKind !== 'LIVE_SHIFT').map(({ eventId: _e, revision: _r, ...rest }) => rest);
    const straight = closedOf(runOffline([{ core: oee, config }], all));
    const late = closedOf(runOffline([{ core: oee, config }], reversed));
    expect(late.sort(byWindow)).toEqual(straight.sort(byWindow));
    // Closed shifts are re-emitted as SHIFT revisions only (the live view is for the open shift).
    check(v, runOffline([{ core: oee, config }], reversed), ['SHIFT', 'HOUR', 'DAY', 'WORK_ORDER']);
  });
});

function byWindow(a: { windowKind: string; windowId: string }, b: { windowKind: string; windowId: string }): number {
  return a.windowKind < b.windowKind ? -1 : a.windowKind > b.windowKind ? 1 : a.windowId < b.windowId ? -1 : a.windowId > b.windowId ? 1 : 0;
}
