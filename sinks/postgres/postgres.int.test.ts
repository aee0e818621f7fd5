// The PostgreSQL contract suite on the real PostgreSQL server of the test stack, through `pg`: a fresh schema per test.
import { postgresSchemas } from '../testing/postgres-schemas.ts';
import { postgresContract } from './contract.ts';

postgresContract('PostgreSQL server (pg)', postgresSchemas('lp_test'));
