// Manual entry (measurements typed in by operators, SPC limits commands from quality engineers): the public surface
// for composition roots (cli/, the dashboard server).
export { manualEntryRoutes, type ManualEntryOptions } from './routes.ts';
export { createSequencer, type Sequencer, type SequencerOptions } from './sequencer.ts';
export {
  measurementEntrySchema,
  measurementsBodySchema,
  measurementListSchema,
  spcCommandBodySchema,
  measurementEvents,
  commandEvent,
  jsonSchemaOf,
  RequestRejected,
  type MeasurementEntry,
  type SpcCommandBody,
  type CharacteristicLookup,
  type CharacteristicRef,
  type EventContext,
  type Issue,
} from './requests.ts';
