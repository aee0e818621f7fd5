// The parts of @confluentinc/schemaregistry the registry codec uses, imported from their own modules: the
// package's index also loads every KMS driver it ships (AWS, Azure, GCP, Vault), which takes seconds at start-up
// (about 4.9 s against 0.5 s for these modules on the 2-core test machine). The package has no "exports" map, so
// these paths are public; keep this the only file that knows them.
export { SchemaRegistryClient, Compatibility } from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
export type { Client, SchemaInfo } from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
export { AvroSerializer, AvroDeserializer } from '@confluentinc/schemaregistry/dist/serde/avro.js';
export { SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry/dist/serde/serde.js';
export { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
