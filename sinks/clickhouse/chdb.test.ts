// The ClickHouse contract suite on embedded chDB (the in-process ClickHouse engine), one data directory for this
// test file's process. The suite takes any ClickHouseStore, so the HTTP connection to a ClickHouse server runs it
// unchanged (`openClickHouse({ url })`); no ClickHouse server can be installed on this machine (Debian's is from
// 2018), see docs/decisions/0004-storage.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { clickhouseContract } from './contract.ts';
import { openClickHouse } from './store.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-chdb-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

clickhouseContract('chDB (embedded)', (database, options) => openClickHouse({ dataDir, database, logger: silentLogger(), ...options }));
