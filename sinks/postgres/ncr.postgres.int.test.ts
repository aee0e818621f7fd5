// The NCR draft store contract on the real PostgreSQL server of the test stack: a fresh schema per test.
import { postgresSchemas } from '../testing/postgres-schemas.ts';
import { ncrContract } from './ncr-contract.ts';

ncrContract('PostgreSQL server (pg)', postgresSchemas('lp_ncr'));
