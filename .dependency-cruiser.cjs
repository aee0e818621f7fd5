// Dependency direction of linepulse (see ARCHITECTURE.md). `npm run lint` fails on any violation.
const ioClients = '^(kafkajs|node-rdkafka|pg|@electric-sql/pglite|@clickhouse/client|chdb|socket\\.io|socket\\.io-client|mqtt|aedes|node-opcua.*|better-sqlite3|fastify|@fastify/.*|@confluentinc/schemaregistry)$';

module.exports = {
  forbidden: [
    { name: 'schemas-import-nothing', severity: 'error', comment: 'schemas/ is the contract: it imports nothing of the project.',
      from: { path: '^schemas/' }, to: { path: '^(platform|edge|ingest|processors|sinks|dashboard|cli|compose|benchmarks|test)/' } },
    { name: 'platform-imports-only-schemas', severity: 'error', comment: 'platform/ is shared plumbing below every component.',
      from: { path: '^platform/', pathNot: '\\.test\\.ts$' }, to: { path: '^(edge|ingest|processors|sinks|dashboard|cli|benchmarks)/' } },
    { name: 'processors-no-io', severity: 'error', comment: 'processors import no sink, dashboard, edge, ingest, CLI or I/O client.',
      from: { path: '^processors/', pathNot: '\\.(int\\.)?test\\.ts$' }, to: { path: '^(sinks|dashboard|edge|ingest|cli|compose)/' } },
    { name: 'processors-no-io-clients', severity: 'error', comment: 'processors reach Kafka only through the bus port.',
      from: { path: '^processors/', pathNot: '\\.(int\\.)?test\\.ts$' }, to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional'], path: ioClients } },
    { name: 'processors-no-concrete-bus', severity: 'error', comment: 'processors use platform/bus/port.ts, never an adapter.',
      from: { path: '^processors/', pathNot: '\\.(int\\.)?test\\.ts$' }, to: { path: '^platform/bus/(kafkajs|rdkafka|embedded)\\.ts$' } },
    { name: 'cores-are-pure', severity: 'error', comment: 'A processor core imports only schemas/ and other pure processor code.',
      from: { path: '^processors/[^/]+/(core|.*-core)\\.ts$' }, to: { path: '^(platform|processors/runtime)/' } },
    { name: 'components-meet-on-the-bus', severity: 'error', comment: 'edge, ingest and sinks do not import each other.',
      from: { path: '^(edge|ingest|sinks)/', pathNot: '\\.(int\\.|e2e\\.)?test\\.ts$' }, to: { path: '^(edge|ingest|sinks|dashboard|cli)/', pathNot: '^$1' } },
    { name: 'only-cli-wires', severity: 'error', comment: 'Only cli/ (and tests, benchmarks) import across component folders.',
      from: { path: '^(edge|ingest|sinks|processors)/', pathNot: '\\.(int\\.|e2e\\.)?test\\.ts$' }, to: { path: '^cli/' } },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    exclude: { path: '(node_modules|dist|\\.data|\\.stack)' },
  },
};
