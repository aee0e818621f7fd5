// The live fan-out: derived events in, coalesced updates out to Socket.IO rooms.
//
// - Coalescing: updates are keyed (e.g. countTotal|<equipment>|<windowKind>|<windowId>); only the latest value
//   of a key is kept while it waits, so a burst of 1,000 revisions of one total costs one message.
// - Bounded rate: a key is emitted at most once per `minIntervalMs` (default 250 ms: <= 4 Hz per key). The first
//   update of a quiet key goes out at once; later ones wait for the key's next slot.
// - Rooms: one per ISA-95 scope. An update about `acme/plant1/stamping/line1/cell1/press1` goes to the rooms of
//   every prefix (`scope:acme`, `scope:acme/plant1`, ..., the equipment itself) and to `scope:` (everything); a
//   client joins the room of the scope it shows (a site wall, a line view, one machine). Socket.IO sends a
//   message once per socket even when the socket is in several of those rooms.
//
// The hub knows nothing of Socket.IO itself: anything with `to(rooms).emit(event, payload)` (a socket.io
// Server) can be attached, so it is unit-tested with a fake emitter and fake timers.
import type { Logger } from '../../platform/log.ts';

export interface LiveEmitter {
  to(rooms: string | string[]): { emit(event: string, ...args: unknown[]): unknown };
}

export interface LiveUpdate {
  /** Socket.IO event name, e.g. 'countTotal'. */
  event: string;
  /** Coalescing key: a later update with the same event and key replaces a waiting one. */
  key: string;
  /** ISA-95 path the update is about: decides the rooms. */
  equipment: string;
  payload: unknown;
}

export interface LiveHubOptions {
  logger: Logger;
  /** Minimum time between two emissions of one key. Default 250 ms. */
  minIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface LiveHubStats {
  published: number;
  emitted: number;
  /** Updates replaced by a later one of the same key before they went out. */
  coalesced: number;
  pending: number;
}

export interface LiveHub {
  /** Where updates go; until one is attached they are dropped (no client could receive them anyway). */
  attach(emitter: LiveEmitter | null): void;
  publish(update: LiveUpdate): void;
  stats(): LiveHubStats;
  /** Cancels waiting emissions. */
  close(): void;
}

/** Room of a scope ('' = everything). */
export function scopeRoom(scope: string): string {
  return `scope:${scope}`;
}

/** Rooms an update about `equipment` goes to: everything, then each prefix of the path down to itself. */
export function roomsFor(equipment: string): string[] {
  const parts = equipment.split('/');
  const rooms = [scopeRoom('')];
  for (let i = 1; i <= parts.length; i += 1) rooms.push(scopeRoom(parts.slice(0, i).join('/')));
  return rooms;
}

interface KeyState {
  lastEmit: number;
  waiting: LiveUpdate | null;
  timer: ReturnType<typeof setTimeout> | null;
}

export function createLiveHub(options: LiveHubOptions): LiveHub {
  const minIntervalMs = options.minIntervalMs ?? 250;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'live-hub' });
  const keys = new Map<string, KeyState>();
  let emitter: LiveEmitter | null = null;
  const stats = { published: 0, emitted: 0, coalesced: 0 };
  let pending = 0;

  function emit(update: LiveUpdate, state: KeyState): void {
    state.lastEmit = now();
    if (!emitter) return;
    stats.emitted += 1;
    try {
      emitter.to(roomsFor(update.equipment)).emit(update.event, update.payload);
    } catch (error) {
      logger.warn({ err: error, event: update.event }, 'live update could not be emitted');
    }
  }

  function hold(id: string, state: KeyState, ms: number): void {
    state.timer = setTimeout(() => fire(id), ms);
    state.timer.unref?.();
  }

  function fire(id: string): void {
    const state = keys.get(id);
    if (!state) return;
    state.timer = null;
    const update = state.waiting;
    state.waiting = null;
    if (update) {
      pending -= 1;
      emit(update, state);
      hold(id, state, minIntervalMs);
      return;
    }
    // A quiet key is forgotten once its slot has passed, so the map holds only keys active in the last interval.
    keys.delete(id);
  }

  return {
    attach(next) {
      emitter = next;
    },
    publish(update) {
      stats.published += 1;
      const id = `${update.event}\u0000${update.key}`;
      let state = keys.get(id);
      if (!state) {
        state = { lastEmit: Number.NEGATIVE_INFINITY, waiting: null, timer: null };
        keys.set(id, state);
      }
      if (state.waiting) {
        state.waiting = update;
        stats.coalesced += 1;
        return;
      }
      const wait = state.lastEmit + minIntervalMs - now();
      if (wait <= 0 && !state.timer) {
        emit(update, state);
        // Hold the key's slot so the next update within the interval waits for it.
        hold(id, state, minIntervalMs);
        return;
      }
      state.waiting = update;
      pending += 1;
      if (!state.timer) hold(id, state, Math.max(0, wait));
    },
    stats: () => ({ ...stats, pending }),
    close() {
      for (const state of keys.values()) if (state.timer) clearTimeout(state.timer);
      keys.clear();
      pending = 0;
    },
  };
}
