// The NCR draft store contract on embedded PGlite: one instance for this file, a fresh schema per test.
import { pgliteSchemas } from '../testing/postgres-schemas.ts';
import { ncrContract } from './ncr-contract.ts';

ncrContract('PGlite (embedded)', pgliteSchemas('lp_ncr'));
