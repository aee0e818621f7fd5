// Exact duplicate detection for raw events by their origin sequence (Origin.seq: per source, gap-free, increasing;
// the edge outbox forwards each source in order). One small fixed-size record per (topic, source) of a key, however
// long the stream: the highest seq accepted and a bitmap of which of the `seqWindow` seqs up to it were accepted.
//
// - seq > max: new (the normal case: a source's records arrive in seq order within one topic partition).
// - max - seqWindow < seq <= max: new if its bit is clear (an arrival out of seq order, e.g. test data shuffled on
//   purpose; the seqs of other topics and keys of the same source leave gaps that are simply never set), else a
//   duplicate.
// - seq <= max - seqWindow: a duplicate. Under the edge's in-order forwarding every re-delivery (a resent outbox
//   batch, a backlog forwarded again hours later) is at or below the max, so it is dropped however late it comes.
//
// Pure functions over a plain JSON-friendly record (part of the driver's key state and its snapshot).

/** Out-of-order tolerance in seqs (a multiple of 32). */
export const seqWindow = 256;
const words = seqWindow / 32;

export interface SeqState {
  /** Highest seq accepted. */
  max: number;
  /** Bit (seq mod seqWindow) set when that seq in (max - seqWindow, max] was accepted: `words` uint32. */
  bits: number[];
}

/** The origin of a raw event, or null when the value has none (a derived event). */
export function originOf(value: unknown): { sourceId: string; seq: number } | null {
  if (typeof value !== 'object' || value === null) return null;
  const origin = (value as { origin?: unknown }).origin;
  if (typeof origin !== 'object' || origin === null) return null;
  const { sourceId, seq } = origin as { sourceId?: unknown; seq?: unknown };
  if (typeof sourceId !== 'string' || sourceId === '' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return null;
  return { sourceId, seq };
}

function bit(seq: number): { word: number; mask: number } {
  const i = seq % seqWindow;
  return { word: i >>> 5, mask: (1 << (i & 31)) >>> 0 };
}

/** True when `seq` was accepted before (or is too old to tell: see the file comment). */
export function seqSeen(state: SeqState, seq: number): boolean {
  if (seq > state.max) return false;
  if (seq <= state.max - seqWindow) return true;
  const { word, mask } = bit(seq);
  return ((state.bits[word]! & mask) >>> 0) !== 0;
}

/** A state that has accepted `seq` only. */
export function seqStart(seq: number): SeqState {
  const state: SeqState = { max: seq, bits: new Array<number>(words).fill(0) };
  const { word, mask } = bit(seq);
  state.bits[word] = mask;
  return state;
}

/** Records `seq` as accepted (the caller checked `seqSeen` first). Changes `state` in place. */
export function seqAccept(state: SeqState, seq: number): void {
  if (seq > state.max) {
    // Clear the bits of the seqs the window slides over: (max, seq].
    if (seq - state.max >= seqWindow) state.bits.fill(0);
    else
      for (let s = state.max + 1; s <= seq; s += 1) {
        const { word, mask } = bit(s);
        state.bits[word] = (state.bits[word]! & ~mask) >>> 0;
      }
    state.max = seq;
  }
  const { word, mask } = bit(seq);
  state.bits[word] = (state.bits[word]! | mask) >>> 0;
}

/** Compact text form for snapshots: `<max>:<bits as hex>`. */
export function seqToText(state: SeqState): string {
  return `${state.max}:${state.bits.map((w) => w.toString(16).padStart(8, '0')).join('')}`;
}

export function seqFromText(text: string): SeqState {
  const [max, hex = ''] = text.split(':');
  const bits: number[] = [];
  for (let i = 0; i < words; i += 1) bits.push(Number.parseInt(hex.slice(i * 8, i * 8 + 8) || '0', 16) >>> 0);
  return { max: Number(max), bits };
}
