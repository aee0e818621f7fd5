// The public surface of the event contracts: topic table, generated types, validation, loading and versions.
export * from './topics.ts';
export type * from './generated/types.ts';
export { validateEvent, assertValid, validateWithType, explain, describeType, describeValue, formatPath } from './validate.ts';
export type { ValidationResult } from './validate.ts';
export { contracts, loadSchemas, listSchemaNames, readSchemaFile, parseStandalone, fullName, avroDir, defaultNamespace } from './load.ts';
export type { AvroType, LoadedSchemas } from './load.ts';
export {
  history,
  readHistory,
  historyDir,
  historyFileName,
  topicRecordNames,
  checkBackward,
  checkHistoryCompatibility,
  schemaVersions,
  devLabel,
  releaseSchemas,
  sameRelease,
  formatSchemaFile,
} from './history.ts';
export type { History, ReleasedVersion, CompatibilityProblem, SchemaVersions, ReleaseOutcome, ReleaseOptions } from './history.ts';
export { parseReplayLine, parseReplay, formatReplayLine, compareReplayRecords, resolveTopic, defaultKey, toPlain } from './replay-format.ts';
export type { ReplayRecord } from './replay-format.ts';
