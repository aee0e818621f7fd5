-- First start of the production PostgreSQL (docker-entrypoint-initdb.d): the schema registry's own database.
-- linepulse's database is POSTGRES_DB; its tables are created by the sinks' migrations.
CREATE DATABASE registry;
