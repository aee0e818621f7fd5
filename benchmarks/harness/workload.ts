// The synthetic plant of the benchmark: N equipment x T telemetry tags at a total rate, plus a piece counter per
// equipment read at a fixed rate. Seeded (mulberry32): the same options give the same values and ids; event
// times are the wall clock at generation (the source timestamp the latencies are measured from).
import type { PieceCount, Telemetry } from '../../schemas/generated/types.ts';

export interface WorkloadOptions {
  equipment: number;
  tagsPerEquipment: number;
  /** Total raw events per second (telemetry + piece counts). */
  rate: number;
  /** Counter readings per equipment per second (part of `rate`). */
  countHz: number;
  seed: number;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function equipmentPath(i: number): string {
  return `acme/plant1/area${1 + (i % 3)}/line${1 + (i % 8)}/cell${i}/m${i}`;
}

export interface Slice {
  telemetry: Telemetry[];
  counts: PieceCount[];
}

/**
 * Emits the events due since the last call (a token bucket on the wall clock). Piece counts take
 * equipment x countHz of the rate (at most half of it); telemetry the rest, round-robin over equipment x tags.
 */
export class SyntheticPlant {
  private readonly random: () => number;
  private readonly paths: string[];
  private readonly counters: number[];
  private readonly seqs: number[];
  private telemetryCursor = 0;
  private countCursor = 0;
  private telemetryDue = 0;
  private countsDue = 0;
  private last: number | null = null;
  readonly countRate: number;
  readonly telemetryRate: number;
  produced = { telemetry: 0, counts: 0 };

  constructor(private readonly options: WorkloadOptions) {
    this.random = mulberry32(options.seed);
    this.paths = Array.from({ length: options.equipment }, (_, i) => equipmentPath(i));
    this.counters = this.paths.map(() => Math.floor(this.random() * 60_000));
    this.seqs = this.paths.map(() => 0);
    this.countRate = Math.min(options.rate / 2, options.equipment * options.countHz);
    this.telemetryRate = options.rate - this.countRate;
  }

  /** Events due at wall time `now` (ms); at most `cap` of each kind (the rest stays due). */
  next(now: number, cap = Number.POSITIVE_INFINITY): Slice {
    if (this.last === null) this.last = now;
    const dt = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.telemetryDue += this.telemetryRate * dt;
    this.countsDue += this.countRate * dt;
    const nTelemetry = Math.min(cap, Math.floor(this.telemetryDue));
    const nCounts = Math.min(cap, Math.floor(this.countsDue));
    this.telemetryDue -= nTelemetry;
    this.countsDue -= nCounts;
    const { equipment, tagsPerEquipment } = this.options;
    const telemetry: Telemetry[] = new Array(nTelemetry);
    for (let i = 0; i < nTelemetry; i += 1) {
      const slot = this.telemetryCursor++ % (equipment * tagsPerEquipment);
      const e = slot % equipment;
      const tag = Math.floor(slot / equipment);
      const seq = ++this.seqs[e]!;
      telemetry[i] = {
        eventId: `bench:m${e}:${seq}`,
        eventTime: now,
        equipment: this.paths[e]!,
        tag: `tag${tag}`,
        value: Math.round((20 + 10 * this.random()) * 1000) / 1000,
        text: null,
        unit: 'degC',
        quality: 'GOOD',
        statusCode: null,
        outOfRange: false,
        origin: { sourceId: `bench:m${e}`, seq, serverTime: null, edgeTime: now, historical: false },
      };
    }
    const counts: PieceCount[] = new Array(nCounts);
    for (let i = 0; i < nCounts; i += 1) {
      const e = this.countCursor++ % equipment;
      this.counters[e] = (this.counters[e]! + 1 + Math.floor(this.random() * 3)) % 65_536;
      const seq = ++this.seqs[e]!;
      counts[i] = pieceCountAt(this.paths[e]!, e, seq, now, this.counters[e]!);
    }
    this.produced.telemetry += nTelemetry;
    this.produced.counts += nCounts;
    return { telemetry, counts };
  }
}

function pieceCountAt(equipment: string, e: number, seq: number, eventTime: number, counter: number): PieceCount {
  return {
    eventId: `bench:m${e}:${seq}`,
    eventTime,
    equipment,
    kind: 'GOOD',
    counterValue: counter,
    counterMax: 65_535,
    increment: null,
    rejectReason: null,
    workOrder: null,
    quality: 'GOOD',
    origin: { sourceId: `bench:m${e}`, seq, serverTime: null, edgeTime: eventTime, historical: false },
  };
}

/**
 * A backlog of `total` PieceCount events over `equipment` machines, 1 s apart per machine in event time (a
 * counter with rollovers, every 9th a reject count): the input both our counts processor and the Kafka Streams
 * peer drain.
 */
export function pieceCountBacklog(total: number, equipment: number, start: number, seed: number): PieceCount[] {
  const random = mulberry32(seed);
  const counters = Array.from({ length: equipment }, () => Math.floor(random() * 65_000));
  const out: PieceCount[] = [];
  for (let i = 0; out.length < total; i += 1) {
    const e = i % equipment;
    const round = Math.floor(i / equipment);
    const eventTime = start + round * 1_000 + e;
    const path = equipmentPath(e);
    if (round % 9 === 4) {
      out.push({ ...pieceCountAt(path, e, round, eventTime, 0), kind: 'REJECT', counterValue: null, counterMax: null, increment: 1, rejectReason: 'SCRATCH' });
    } else {
      counters[e] = (counters[e]! + 1 + Math.floor(random() * 3)) % 65_536;
      out.push(pieceCountAt(path, e, round, eventTime, counters[e]!));
    }
  }
  return out;
}
