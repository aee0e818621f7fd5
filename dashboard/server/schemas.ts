// JSON schemas of the API's answers: they validate nothing on the way out (fastify uses them to serialise
// fast) but they are what the OpenAPI document shows a client.
import { countWindowKinds } from '../../sinks/model.ts';

const nullableNumber = { type: ['number', 'null'] } as const;

export const countTotalSchema = {
  type: 'object',
  required: ['equipment', 'windowKind', 'windowId', 'windowStart', 'windowEnd', 'good', 'reject', 'revision', 'eventTime'],
  properties: {
    equipment: { type: 'string', description: 'ISA-95 path enterprise/site/area/line/cell/equipment' },
    windowKind: { type: 'string', enum: [...countWindowKinds] },
    windowId: { type: 'string', description: "Shift id, hour/day start, work order id or 'all'" },
    windowStart: { ...nullableNumber, description: 'Epoch ms' },
    windowEnd: { ...nullableNumber, description: 'Epoch ms' },
    good: { type: 'number' },
    reject: { type: 'number' },
    revision: { type: 'number', description: 'Highest revision of the window seen so far' },
    eventTime: { type: 'number', description: 'Event time of that revision, epoch ms' },
  },
} as const;

export const countRangeRowSchema = {
  type: 'object',
  required: ['equipment', 'bucketStart', 'good', 'reject'],
  properties: {
    equipment: { type: 'string' },
    bucketStart: { ...nullableNumber, description: 'Bucket start, epoch ms; null when the range is one bucket' },
    good: { type: 'number' },
    reject: { type: 'number' },
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status', 'time', 'components'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    version: { type: 'string' },
    time: { type: 'number' },
    components: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['up'],
        properties: { up: { type: 'boolean' }, kind: { type: 'string' }, since: { type: 'number' }, error: { type: 'string' } },
      },
    },
    live: {
      type: 'object',
      properties: { clients: { type: 'number' }, published: { type: 'number' }, emitted: { type: 'number' }, coalesced: { type: 'number' } },
    },
  },
} as const;
