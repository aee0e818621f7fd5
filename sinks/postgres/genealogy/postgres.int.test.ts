// The work-order and genealogy store contract on the real PostgreSQL server of the test stack: a fresh schema per test.
import { postgresSchemas } from '../../testing/postgres-schemas.ts';
import { genealogyContract } from './contract.ts';

genealogyContract('PostgreSQL server (pg)', postgresSchemas('lp_gen'));
