// The NCR draft store (migration 0008) on both PostgreSQL connections (PGlite, a server through `pg`): one draft per
// SPC alarm, an NCR_DRAFT step in the alarm's audit trail, the database's own checks. Each test gets a fresh,
// migrated database (schema).
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { alert, press, spcAlarm, T0, welder } from '../testing/fixtures.ts';
import { applyAlarmAction, getAlarm, writeAlertCases, writeSpcAlarms } from './alarms.ts';
import type { Db } from './db.ts';
import { migratePostgres } from './migrate.ts';
import { getNcrByAlarm, getSpcAlarmCase, insertNcrDraft, listNcrs } from './ncr.ts';

export interface OpenedDb {
  db: Db;
  cleanup(): Promise<void>;
}

export function ncrContract(connection: string, open: () => Promise<OpenedDb>): void {
  describe(`PostgreSQL NCR drafts contract > ${connection}`, () => {
    const opened: OpenedDb[] = [];
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.cleanup();
    });
    async function fresh(): Promise<Db> {
      const o = await open();
      opened.push(o);
      await migratePostgres(o.db, silentLogger());
      return o.db;
    }
    const t = T0 + 3_600_000;
    const draft = (n: number) => ({ title: `draft ${n}`, detail: { serials: [`SN-${n}`], containment: { lots: ['LOT-7'] } } });

    it('reads an SPC alarm case with the detail of its signal', async () => {
      const db = await fresh();
      const a = spcAlarm(12, 2, { pointIndexes: [4, 5, 6, 7, 8, 9, 10, 11, 12], values: [10.5], serials: ['SN-4', 'SN-12'], lots: ['LOT-7'] });
      await writeSpcAlarms(db, [a]);
      expect(await getSpcAlarmCase(db, a.eventId)).toMatchObject({
        alarmId: a.eventId,
        source: 'SPC',
        characteristic: a.characteristic,
        rule: 2,
        ruleSet: 'NELSON',
        direction: 'UP',
        pointIndexes: [4, 5, 6, 7, 8, 9, 10, 11, 12],
        values: [10.5],
        workOrder: 'WO-1001',
        serials: ['SN-4', 'SN-12'],
        lots: ['LOT-7'],
        status: 'RAISED',
        raisedAt: a.eventTime,
      });
      expect((await getSpcAlarmCase(db, a.eventId))?.limits).toEqual(a.limits);
      expect(await getSpcAlarmCase(db, 'nope')).toBeNull();
    });

    it('drafts one NCR per alarm: the second call answers the first and writes nothing; the audit trail gets one NCR_DRAFT step', async () => {
      const db = await fresh();
      const id = spcAlarm(12, 1).eventId;
      await writeSpcAlarms(db, [spcAlarm(12, 1)]);
      const first = await insertNcrDraft(db, id, 'qe.anna', draft(1), t);
      expect(first).toMatchObject({ created: true, ncr: { ncrId: 'NCR-000001', alarmId: id, status: 'DRAFT', equipment: press, createdBy: 'qe.anna', createdAt: t, title: 'draft 1', detail: draft(1).detail } });
      const again = await insertNcrDraft(db, id, 'qe.ben', draft(2), t + 1);
      expect(again).toEqual({ created: false, ncr: first.ncr });
      const c = await getAlarm(db, id);
      expect(c?.alarm).toMatchObject({ status: 'RAISED', lastSeq: 2 });
      expect(c?.audit.map((a) => [a.seq, a.who, a.action, a.from, a.to, a.payload.ncrId])).toEqual([
        [1, 'linepulse', 'RAISE', null, 'RAISED', undefined],
        [2, 'qe.anna', 'NCR_DRAFT', 'RAISED', 'RAISED', 'NCR-000001'],
      ]);
      expect(await getNcrByAlarm(db, id)).toEqual(first.ncr);
      // The lifecycle goes on after it.
      await applyAlarmAction(db, id, 'qe.anna', { kind: 'ACKNOWLEDGE' }, t + 2);
      expect((await getAlarm(db, id))?.alarm.status).toBe('ACKNOWLEDGED');
    });

    it('drafts on a closed alarm too, refuses non-SPC and unknown alarms and an empty user', async () => {
      const db = await fresh();
      const id = spcAlarm(12, 1).eventId;
      await writeSpcAlarms(db, [spcAlarm(12, 1)]);
      await writeAlertCases(db, [alert('RAISED')]);
      await applyAlarmAction(db, id, 'qe', { kind: 'ACKNOWLEDGE' }, t);
      await applyAlarmAction(db, id, 'qe', { kind: 'ASSIGN_CAUSE', assignableCause: 'worn tool', correctiveAction: 'tool changed' }, t + 1);
      await applyAlarmAction(db, id, 'qe', { kind: 'CLOSE' }, t + 2);
      // A clock behind the trail does not break its order.
      const late = await insertNcrDraft(db, id, 'qe', draft(1), t);
      expect(late.ncr.createdAt).toBe(t + 2);
      expect((await getAlarm(db, id))?.audit.at(-1)).toMatchObject({ action: 'NCR_DRAFT', from: 'CLOSED', to: 'CLOSED', at: t + 2 });
      await expect(insertNcrDraft(db, 'alert-1', 'qe', draft(2), t)).rejects.toMatchObject({ reason: 'conflict' });
      await expect(insertNcrDraft(db, 'nope', 'qe', draft(2), t)).rejects.toMatchObject({ reason: 'not-found' });
      await expect(insertNcrDraft(db, id, ' ', draft(2), t)).rejects.toMatchObject({ reason: 'invalid' });
      expect((await getAlarm(db, 'alert-1'))?.audit).toHaveLength(1);
    });

    it('serialises concurrent drafts of one alarm: one is created, the others answer it', async () => {
      const db = await fresh();
      const id = spcAlarm(12, 1).eventId;
      await writeSpcAlarms(db, [spcAlarm(12, 1)]);
      const results = await Promise.all([1, 2, 3, 4].map((n) => insertNcrDraft(db, id, `qe.${n}`, draft(n), t + n)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.ncr.ncrId)).size).toBe(1);
      expect((await getAlarm(db, id))?.audit.filter((a) => a.action === 'NCR_DRAFT')).toHaveLength(1);
    });

    it('enforces in the database: one NCR per alarm, NCR_DRAFT only naming an NCR of that alarm, the trail still append-only', async () => {
      const db = await fresh();
      await writeSpcAlarms(db, [spcAlarm(12, 1), spcAlarm(30, 2)]);
      const a = spcAlarm(12, 1).eventId;
      const b = spcAlarm(30, 2).eventId;
      const { ncr } = await insertNcrDraft(db, a, 'qe', draft(1), t);
      await expect(
        db.query(`INSERT INTO spc_ncrs (ncr_id, alarm_id, equipment, characteristic, title, created_by, created_at, detail) VALUES ('X', $1, 'e', 'c', 't', 'qe', now(), '{}')`, [a]),
      ).rejects.toThrow(/SQLSTATE 23505/);
      const audit = (alarmId: string, payload: string) =>
        db.query(`INSERT INTO alarm_audit (alarm_id, seq, at, who, action, to_status, payload) VALUES ($1, 2, now(), 'x', 'NCR_DRAFT', 'RAISED', $2::jsonb)`, [alarmId, payload]);
      await expect(audit(b, '{}')).rejects.toThrow(/names no NCR of this alarm/);
      await expect(audit(b, JSON.stringify({ ncrId: ncr.ncrId }))).rejects.toThrow(/names no NCR of this alarm/);
      await expect(db.query(`INSERT INTO alarm_audit (alarm_id, seq, at, who, action, to_status) VALUES ($1, 2, now(), 'x', 'REOPEN', 'RAISED')`, [b])).rejects.toThrow(/SQLSTATE 23514/);
      await expect(db.query('DELETE FROM alarm_audit WHERE action = $1', ['NCR_DRAFT'])).rejects.toThrow(/append-only/);
    });

    it('lists drafts newest first, by scope and characteristic, with the total', async () => {
      const db = await fresh();
      const other = spcAlarm(40, 1, { eventId: 'spc-alarm:weld:40:1', equipment: welder, characteristic: `${welder}/seam` });
      await writeSpcAlarms(db, [spcAlarm(12, 1), spcAlarm(30, 2), other]);
      await insertNcrDraft(db, spcAlarm(12, 1).eventId, 'qe', draft(1), t);
      await insertNcrDraft(db, other.eventId, 'qe', draft(2), t + 10);
      await insertNcrDraft(db, spcAlarm(30, 2).eventId, 'qe', draft(3), t + 20);
      const all = await listNcrs(db);
      expect(all.total).toBe(3);
      expect(all.ncrs.map((n) => n.title)).toEqual(['draft 3', 'draft 2', 'draft 1']);
      expect((await listNcrs(db, { scope: 'acme/plant1/stamping' })).ncrs.map((n) => n.title)).toEqual(['draft 3', 'draft 1']);
      expect((await listNcrs(db, { characteristic: other.characteristic })).ncrs.map((n) => n.alarmId)).toEqual([other.eventId]);
      expect(await listNcrs(db, { limit: 1, offset: 1 })).toMatchObject({ total: 3, ncrs: [{ title: 'draft 2' }] });
    });
  });
}
