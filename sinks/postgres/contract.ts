// One contract suite for both PostgreSQL connections (embedded PGlite, a PostgreSQL server through `pg`): the
// same migrations, writers and queries must give the same answers. Each test gets a fresh, empty database.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { alert, characteristic, countTotal, press, spcAlarm, spcLimitsAudit, T0, welder } from '../testing/fixtures.ts';
import { AlarmActionError, applyAlarmAction, getAlarm, listAlarms, writeAlertCases, writeSpcAlarms } from './alarms.ts';
import { authenticate, getUser, hashPassword, upsertUser, verifyPassword } from './users.ts';
import type { Db } from './db.ts';
import { listMigrations, migratePostgres } from './migrate.ts';
import { createPostgresQueries, listAlerts, listEquipment, registerEquipment, writeAlerts, writeCountTotals } from './repository.ts';
import { listSpcLimitsAudit, writeSpcLimitsAudit } from './spc-audit.ts';

export interface OpenedDb {
  db: Db;
  /** Drops what the test created. */
  cleanup(): Promise<void>;
}

export function postgresContract(connection: string, open: () => Promise<OpenedDb>): void {
  describe(`PostgreSQL store contract > ${connection}`, () => {
    const opened: OpenedDb[] = [];
    const dirs: string[] = [];
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.cleanup();
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    async function fresh(migrate = true): Promise<Db> {
      const o = await open();
      opened.push(o);
      if (migrate) await migratePostgres(o.db, silentLogger());
      return o.db;
    }

    it('applies every migration once, records it, and refuses an applied file that was edited', async () => {
      const db = await fresh(false);
      const names = listMigrations().map((m) => m.name);
      expect(names.length).toBeGreaterThanOrEqual(3);
      // Two processes starting together: each file is applied once.
      const [a, b] = await Promise.all([migratePostgres(db, silentLogger()), migratePostgres(db, silentLogger())]);
      expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(names);
      expect(await migratePostgres(db, silentLogger())).toEqual([]);
      const ledger = await db.query<{ name: string }>('SELECT name FROM linepulse_migrations ORDER BY name');
      expect(ledger.map((r) => r.name)).toEqual(names);

      const dir = mkdtempSync(join(tmpdir(), 'linepulse-migrations-'));
      dirs.push(dir);
      cpSync(fileURLToPath(new URL('./migrations/', import.meta.url)), dir, { recursive: true });
      writeFileSync(join(dir, `${names[0]}.sql`), '-- edited\nSELECT 1;\n');
      await expect(migratePostgres(db, silentLogger(), dir)).rejects.toThrow(/migration 0001_equipment was changed after it was applied/);
    });

    it('registers the ISA-95 hierarchy of the paths it sees, idempotently', async () => {
      const db = await fresh();
      await registerEquipment(db, [press, welder, press, 'not a path!']);
      await registerEquipment(db, [press]);
      const nodes = await listEquipment(db);
      expect(nodes.map((n) => [n.path, n.level, n.parentPath])).toEqual([
        ['acme', 'enterprise', null],
        ['acme/plant1', 'site', 'acme'],
        ['acme/plant1/stamping', 'area', 'acme/plant1'],
        ['acme/plant1/stamping/line1', 'line', 'acme/plant1/stamping'],
        ['acme/plant1/stamping/line1/cell1', 'cell', 'acme/plant1/stamping/line1'],
        [press, 'equipment', 'acme/plant1/stamping/line1/cell1'],
        ['acme/plant1/welding', 'area', 'acme/plant1'],
        ['acme/plant1/welding/line2', 'line', 'acme/plant1/welding'],
        ['acme/plant1/welding/line2/cell1', 'cell', 'acme/plant1/welding/line2'],
        [welder, 'equipment', 'acme/plant1/welding/line2/cell1'],
      ]);
      expect((await listEquipment(db, 'acme/plant1/welding')).length).toBe(4);
    });

    it('keeps the highest revision of a count window, whatever the arrival order or replays', async () => {
      const db = await fresh();
      await writeCountTotals(db, [3, 1, 5].map((r) => countTotal(r)));
      await writeCountTotals(db, [2, 4, 5].map((r) => countTotal(r)));
      await writeCountTotals(db, [countTotal(2)]);
      const totals = await createPostgresQueries(db).currentCountTotals();
      expect(totals).toEqual([
        {
          equipment: press,
          windowKind: 'SHIFT',
          windowId: '2025-03-03/A',
          windowStart: T0,
          windowEnd: T0 + 8 * 3600_000,
          good: 50,
          reject: 5,
          revision: 5,
          eventTime: T0 + 5000,
        },
      ]);
    });

    it('answers the current window per equipment and window kind, filtered by kind and scope', async () => {
      const db = await fresh();
      const shiftB = T0 + 8 * 3600_000;
      await writeCountTotals(db, [
        countTotal(7, { windowId: '2025-03-03/A' }),
        countTotal(2, { windowId: '2025-03-03/B', windowStart: shiftB, windowEnd: shiftB + 8 * 3600_000, eventTime: shiftB + 1000 }),
        countTotal(9, { windowKind: 'ALL_TIME', windowId: 'all', windowStart: null, windowEnd: null }),
        countTotal(4, { equipment: welder }),
      ]);
      const queries = createPostgresQueries(db);
      const all = await queries.currentCountTotals();
      expect(all.map((t) => [t.equipment, t.windowKind, t.windowId, t.revision])).toEqual([
        [press, 'ALL_TIME', 'all', 9],
        [press, 'SHIFT', '2025-03-03/B', 2],
        [welder, 'SHIFT', '2025-03-03/A', 4],
      ]);
      const shifts = await queries.currentCountTotals({ windowKind: 'SHIFT', scope: 'acme/plant1/welding' });
      expect(shifts.map((t) => [t.equipment, t.windowId])).toEqual([[welder, '2025-03-03/A']]);
      expect(await queries.currentCountTotals({ scope: 'acme/plant1/weld' })).toEqual([]);
      expect(all.find((t) => t.windowKind === 'ALL_TIME')?.windowStart).toBeNull();
    });

    it('follows an alert through its lifecycle, keeps cleared alerts cleared, audits each event once', async () => {
      const db = await fresh();
      await writeAlerts(db, [alert('RAISED')]);
      expect((await listAlerts(db, { status: 'ACTIVE' })).map((a) => a.alertId)).toEqual(['alert-1']);
      await writeAlerts(db, [alert('CLEARED'), alert('RAISED')]);
      await writeAlerts(db, [alert('RAISED')]); // a replay after the clear
      const [cleared] = await listAlerts(db);
      expect(cleared).toMatchObject({
        alertId: 'alert-1',
        equipment: press,
        status: 'CLEARED',
        startedAt: T0 + 60_000,
        endedAt: T0 + 360_000,
        durationMs: 300_000,
        reasonCode: 'JAM',
        acknowledgedAt: null,
      });
      expect(await listAlerts(db, { status: 'ACTIVE' })).toEqual([]);
      const audit = await db.query<{ action: string }>('SELECT action FROM alert_events ORDER BY event_time');
      expect(audit.map((r) => r.action)).toEqual(['RAISED', 'CLEARED']);
    });

    it('keeps the ISA-95 levels as data: depth and term per level, and refuses an unknown level', async () => {
      const db = await fresh();
      const levels = await db.query<{ level: string; depth: number }>('SELECT level, depth FROM equipment_levels ORDER BY depth');
      expect(levels.map((l) => l.level)).toEqual(['enterprise', 'site', 'area', 'line', 'cell', 'equipment']);
      await registerEquipment(db, [press]);
      const joined = await db.query<{ depth: number }>(`SELECT l.depth FROM equipment e JOIN equipment_levels l USING (level) WHERE e.path = $1`, [press]);
      expect(joined).toEqual([{ depth: 6 }]);
      await expect(db.query(`INSERT INTO equipment (path, parent_path, level, name) VALUES ('acme/x', 'acme', 'floor', 'x')`)).rejects.toThrow(/SQLSTATE 23/);
    });

    it('opens one alarm case per SPC alarm and alert, follows the lifecycle, audits every step once', async () => {
      const db = await fresh();
      await writeSpcAlarms(db, [spcAlarm(12, 1), spcAlarm(12, 1), spcAlarm(30, 2)]);
      await writeSpcAlarms(db, [spcAlarm(12, 1)]); // a replay
      await writeAlertCases(db, [alert('RAISED')]);
      await writeAlertCases(db, [alert('CLEARED'), alert('RAISED')]);
      const all = await listAlarms(db);
      expect(all.total).toBe(3);
      expect(all.alarms.map((a) => [a.alarmId, a.source, a.status, a.active])).toEqual([
        [spcAlarm(30, 2).eventId, 'SPC', 'RAISED', true],
        [spcAlarm(12, 1).eventId, 'SPC', 'RAISED', true],
        ['alert-1', 'DOWNTIME', 'RAISED', false],
      ]);
      expect((await listAlarms(db, { source: ['DOWNTIME'] })).alarms[0]).toMatchObject({ clearedAt: T0 + 360_000, raisedAt: T0 + 60_000 });
      const page = await listAlarms(db, { limit: 1, offset: 1, status: ['RAISED'] });
      expect(page).toMatchObject({ total: 3, alarms: [{ alarmId: spcAlarm(12, 1).eventId }] });

      const id = spcAlarm(12, 1).eventId;
      const t = T0 + 3600_000;
      await expect(applyAlarmAction(db, id, 'qe.anna', { kind: 'CLOSE' }, t)).rejects.toThrow(/is RAISED: cannot close/);
      await applyAlarmAction(db, id, 'qe.anna', { kind: 'ACKNOWLEDGE', note: 'looking' }, t);
      await expect(applyAlarmAction(db, id, 'qe.ben', { kind: 'ACKNOWLEDGE' }, t + 1)).rejects.toMatchObject({ reason: 'conflict' });
      await expect(applyAlarmAction(db, id, 'qe.anna', { kind: 'ASSIGN_CAUSE', assignableCause: ' ', correctiveAction: 'x' }, t + 2)).rejects.toMatchObject({ reason: 'invalid' });
      await applyAlarmAction(db, id, 'qe.anna', { kind: 'ASSIGN_CAUSE', assignableCause: 'worn tool', correctiveAction: 'replace tool T12' }, t + 3);
      await applyAlarmAction(db, id, 'qe.ben', { kind: 'COMMENT', text: 'tool replaced' }, t + 4);
      const closed = await applyAlarmAction(db, id, 'qe.ben', { kind: 'CLOSE', note: null }, t + 5);
      expect(closed.alarm).toMatchObject({
        status: 'CLOSED',
        acknowledged: { who: 'qe.anna', at: t },
        cause: { assignableCause: 'worn tool', correctiveAction: 'replace tool T12', who: 'qe.anna', at: t + 3 },
        closed: { who: 'qe.ben', at: t + 5 },
        lastSeq: 5,
      });
      expect(closed.audit.map((a) => [a.seq, a.who, a.action, a.from, a.to])).toEqual([
        [1, 'linepulse', 'RAISE', null, 'RAISED'],
        [2, 'qe.anna', 'ACKNOWLEDGE', 'RAISED', 'ACKNOWLEDGED'],
        [3, 'qe.anna', 'ASSIGN_CAUSE', 'ACKNOWLEDGED', 'CAUSE_ASSIGNED'],
        [4, 'qe.ben', 'COMMENT', 'CAUSE_ASSIGNED', 'CAUSE_ASSIGNED'],
        [5, 'qe.ben', 'CLOSE', 'CAUSE_ASSIGNED', 'CLOSED'],
      ]);
      await expect(applyAlarmAction(db, id, 'qe.ben', { kind: 'COMMENT', text: 'late' }, t + 6)).rejects.toThrow(/is CLOSED/);
      await expect(applyAlarmAction(db, 'nope', 'qe.ben', { kind: 'ACKNOWLEDGE' })).rejects.toBeInstanceOf(AlarmActionError);
      expect((await listAlarms(db, { status: ['CLOSED'] })).alarms.map((a) => a.alarmId)).toEqual([id]);
    });

    it('enforces the audit trail in the database: append-only, next step only, lifecycle transitions only', async () => {
      const db = await fresh();
      await writeSpcAlarms(db, [spcAlarm(12, 1)]);
      const id = spcAlarm(12, 1).eventId;
      await expect(db.query('UPDATE alarm_audit SET who = $1', ['mallory'])).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM alarm_audit')).rejects.toThrow(/append-only/);
      await expect(db.exec('TRUNCATE alarm_audit')).rejects.toThrow(/append-only/);
      const insert = (seq: number, action: string, payload = '{}') =>
        db.query(`INSERT INTO alarm_audit (alarm_id, seq, at, who, action, to_status, payload) VALUES ($1, $2, now(), 'x', $3, 'CLOSED', $4::jsonb)`, [id, seq, action, payload]);
      await expect(insert(3, 'ACKNOWLEDGE')).rejects.toThrow(/not the next step/);
      await expect(insert(2, 'CLOSE')).rejects.toThrow(/is RAISED: cannot close/);
      await expect(insert(2, 'RAISE')).rejects.toThrow(/already raised/);
      // Whatever to_status a writer claims, the transition table decides it.
      await insert(2, 'ACKNOWLEDGE');
      expect((await getAlarm(db, id))?.alarm.status).toBe('ACKNOWLEDGED');
      await expect(insert(3, 'ASSIGN_CAUSE', '{"assignableCause":"x"}')).rejects.toThrow(/must not be empty/);
      expect((await getAlarm(db, id))?.audit.map((a) => a.to)).toEqual(['RAISED', 'ACKNOWLEDGED']);
    });

    it('appends SPC limit changes once by event id, append-only, and lists them per characteristic', async () => {
      const db = await fresh();
      const rejected = spcLimitsAudit(3, {
        eventId: `spc-audit:${characteristic}:cmd:spc-cmd:key:3`,
        action: 'REJECTED',
        toVersion: null,
        newLimits: null,
        rejection: 'ucl must be above lcl',
      });
      await writeSpcLimitsAudit(db, [spcLimitsAudit(1), spcLimitsAudit(2)]);
      // A replay, cut differently, adds nothing.
      await writeSpcLimitsAudit(db, [spcLimitsAudit(2), rejected, spcLimitsAudit(1)]);
      const trail = await listSpcLimitsAudit(db, { characteristic });
      expect(trail.map((a) => [a.action, a.fromVersion, a.toVersion, a.user])).toEqual([
        ['ESTABLISHED', null, 1, 'spc'],
        ['FIXED', 1, 2, 'quality.engineer'],
        ['REJECTED', 2, null, 'quality.engineer'],
      ]);
      expect(trail[1]).toMatchObject({ eventTime: T0 + 2 * 3600_000, requestedAt: T0 + 2 * 3600_000 - 1000, commandKind: 'SET_FIXED_LIMITS', reason: spcLimitsAudit(2).reason });
      expect(trail[1]!.oldLimits).toEqual(spcLimitsAudit(2).oldLimits);
      expect(trail[1]!.newLimits).toEqual(spcLimitsAudit(2).newLimits);
      expect(trail[2]!.rejection).toBe('ucl must be above lcl');
      expect(await listSpcLimitsAudit(db, { equipment: welder })).toEqual([]);
      expect((await listSpcLimitsAudit(db, { characteristic, limit: 1, offset: 1 })).map((a) => a.toVersion)).toEqual([2]);
      await expect(db.query('UPDATE spc_limits_audit SET who = $1', ['mallory'])).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM spc_limits_audit')).rejects.toThrow(/append-only/);
      await expect(db.exec('TRUNCATE spc_limits_audit')).rejects.toThrow(/append-only/);
      expect(await listSpcLimitsAudit(db)).toHaveLength(3);
    });

    it('stores users with scrypt password hashes only, and roles', async () => {
      const db = await fresh();
      const hash = await hashPassword('correct horse battery');
      expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(await verifyPassword('correct horse battery', hash)).toBe(true);
      expect(await verifyPassword('wrong horse battery', hash)).toBe(false);
      expect(await hashPassword('correct horse battery')).not.toBe(hash); // salted
      await upsertUser(db, { username: 'qe.anna', password: 'correct horse battery', displayName: 'Anna', roles: ['quality', 'viewer'] });
      const stored = await db.query<{ password_hash: string }>('SELECT password_hash FROM users');
      expect(stored[0]?.password_hash).not.toContain('correct horse');
      expect(await getUser(db, 'qe.anna')).toMatchObject({ username: 'qe.anna', displayName: 'Anna', roles: ['quality', 'viewer'], disabled: false });
      expect(await authenticate(db, 'qe.anna', 'correct horse battery')).toEqual({ username: 'qe.anna', displayName: 'Anna', roles: ['quality', 'viewer'], disabled: false });
      expect(await authenticate(db, 'qe.anna', 'nope nope nope')).toBeNull();
      expect(await authenticate(db, 'nobody', 'correct horse battery')).toBeNull();
      await expect(db.query(`INSERT INTO users (username, password_hash) VALUES ('plain', 'secret123')`)).rejects.toThrow(/SQLSTATE 23514/);
      await expect(db.query(`INSERT INTO user_roles (username, role) VALUES ('qe.anna', 'god')`)).rejects.toThrow(/SQLSTATE 23503/);
      const roles = await db.query<{ role: string }>('SELECT role FROM roles ORDER BY role');
      expect(roles.map((r) => r.role)).toEqual(['admin', 'maintenance', 'quality', 'supervisor', 'viewer']);
    });

    it('rolls a transaction back when its work throws', async () => {
      const db = await fresh();
      await expect(
        db.transaction(async (tx) => {
          await writeCountTotals(tx, [countTotal(1)]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await createPostgresQueries(db).currentCountTotals()).toEqual([]);
      await db.transaction((tx) => writeCountTotals(tx, [countTotal(1)]));
      expect((await createPostgresQueries(db).currentCountTotals()).length).toBe(1);
    });

    it('reports a refused statement in one line with its SQLSTATE', async () => {
      const db = await fresh();
      const error = await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/refused the statement: .*no_such_table.*\(SQLSTATE 42P01\)$/);
    });
  });
}
