// Wire types of the dashboard API and Socket.IO events, taken from the server side (type-only: nothing of it is
// bundled), so the app and the server cannot drift apart silently.
export type { CountWindowKind } from '../../../../schemas/generated/types.ts';
export type { CountTotalView } from '../../../../sinks/model.ts';
import type { CountTotalView } from '../../../../sinks/model.ts';

/** GET /api/counts and the Socket.IO 'snapshot' event. */
export interface CountsSnapshot {
  time: number;
  scope: string;
  totals: CountTotalView[];
}

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';
