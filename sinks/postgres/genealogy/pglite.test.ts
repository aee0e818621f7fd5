// The work-order and genealogy store contract on embedded PGlite: one instance for this file, a fresh schema per test.
import { pgliteSchemas } from '../../testing/postgres-schemas.ts';
import { genealogyContract } from './contract.ts';

genealogyContract('PGlite (embedded)', pgliteSchemas('lp_gen'));
