// The PostgreSQL contract suite on embedded PGlite: one instance for this file, a fresh schema per test.
import { pgliteSchemas } from '../testing/postgres-schemas.ts';
import { postgresContract } from './contract.ts';

postgresContract('PGlite (embedded)', pgliteSchemas('lp_test'));
