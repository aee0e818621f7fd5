import { describe, expect, it } from 'vitest';
import type { SpcAlarm } from '../../schemas/generated/types.ts';
import { acknowledge, assignCause, close, comment, draftNcr, LifecycleError, raise, replay } from './alarm-lifecycle.ts';

const alarm: SpcAlarm = {
  eventId: 'spc-alarm:flow-width:43:1',
  eventTime: 1_000,
  equipment: 'acme/plant1/litho/line1/cell1/hardbake',
  characteristic: 'flow-width',
  rule: 1,
  ruleSet: 'NELSON',
  label: 1,
  description: 'Nelson rule 1: 1 point beyond the control limits (above)',
  direction: 'UP',
  chartPart: 'LOCATION',
  pointIndexes: [43],
  values: [1.69696],
  limits: { version: 1, center: 1.5056, ucl: 1.6933, lcl: 1.318, sigma: 0.0625, dispersionCenter: 0.325, dispersionUcl: 0.687, dispersionLcl: 0, source: 'PHASE1', subgroupSize: 5, upper2Sigma: null, upper1Sigma: null, lower1Sigma: null, lower2Sigma: null },
  workOrder: 'WO-1',
  serials: ['SN1'],
  lots: ['LOT-1'],
};

describe('SPC > alarm lifecycle', () => {
  it('raised -> acknowledged -> cause and corrective action -> closed, one audit entry per step', () => {
    const raised = raise(alarm, 'spc-sink', 2_000);
    const acked = acknowledge(raised, 'q.engineer', 3_000, 'looking at it');
    const commented = comment(acked, 'operator', 3_500, 'bake plate 2 ran hot');
    const caused = assignCause(commented, 'q.engineer', 4_000, 'hot plate thermostat drift', 'thermostat recalibrated, lot 1 re-measured');
    const closed = close(caused, 'q.lead', 5_000);
    expect(closed).toMatchObject({
      alarmId: alarm.eventId,
      status: 'CLOSED',
      acknowledged: { who: 'q.engineer', at: 3_000 },
      cause: { assignableCause: 'hot plate thermostat drift', who: 'q.engineer' },
      closed: { who: 'q.lead', at: 5_000 },
    });
    expect(closed.audit.map((e) => [e.seq, e.from, e.to, e.action.kind])).toEqual([
      [1, null, 'RAISED', 'RAISE'],
      [2, 'RAISED', 'ACKNOWLEDGED', 'ACKNOWLEDGE'],
      [3, 'ACKNOWLEDGED', 'ACKNOWLEDGED', 'COMMENT'],
      [4, 'ACKNOWLEDGED', 'CAUSE_ASSIGNED', 'ASSIGN_CAUSE'],
      [5, 'CAUSE_ASSIGNED', 'CLOSED', 'CLOSE'],
    ]);
  });

  it('is append-only: every step keeps the earlier trail unchanged, and the trail alone rebuilds the case', () => {
    const steps = [raise(alarm, 'spc-sink', 1)];
    steps.push(acknowledge(steps[0]!, 'a', 2));
    steps.push(assignCause(steps[1]!, 'a', 3, 'cause 1', 'action 1'));
    steps.push(assignCause(steps[2]!, 'b', 4, 'cause 2', 'action 2'));
    steps.push(close(steps[3]!, 'b', 5, 'verified'));
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.audit.slice(0, i + 1 - 1)).toEqual(steps[i - 1]!.audit);
    expect(steps[4]!.cause?.assignableCause).toBe('cause 2');
    expect(replay(JSON.parse(JSON.stringify(steps[4]!.audit)))).toEqual(steps[4]);
  });

  it('refuses steps out of order, without who, with empty texts or going back in time', () => {
    const raised = raise(alarm, 'spc-sink', 10);
    expect(() => close(raised, 'x', 11)).toThrow('is RAISED: cannot close');
    expect(() => assignCause(raised, 'x', 11, 'c', 'a')).toThrow(LifecycleError);
    expect(() => acknowledge(raised, ' ', 11)).toThrow('who must not be empty');
    expect(() => acknowledge(raised, 'x', 9)).toThrow('before the last step');
    const acked = acknowledge(raised, 'x', 11);
    expect(() => acknowledge(acked, 'x', 12)).toThrow('is ACKNOWLEDGED');
    expect(() => assignCause(acked, 'x', 12, '', 'a')).toThrow('assignable cause must not be empty');
    const closed = close(assignCause(acked, 'x', 12, 'c', 'a'), 'x', 13);
    expect(() => comment(closed, 'x', 14, 'late note')).toThrow('is closed');
    expect(() => replay([])).toThrow('empty audit trail');
    expect(() => replay([{ ...raised.audit[0]!, seq: 2 }])).toThrow('has seq 2');
  });
});

describe('SPC alarm lifecycle > NCR drafts', () => {
  it('records a draft in any status, closed included, without changing the status; replays from the trail', () => {
    const raised = raise(alarm, 'spc', 1_000);
    const drafted = draftNcr(raised, 'qe.anna', 1_100, 'NCR-000001');
    expect(drafted.status).toBe('RAISED');
    expect(drafted.audit.at(-1)).toMatchObject({ seq: 2, from: 'RAISED', to: 'RAISED', action: { kind: 'NCR_DRAFT', ncrId: 'NCR-000001' } });
    const closed = close(assignCause(acknowledge(drafted, 'qe', 1_200), 'qe', 1_300, 'worn tool', 'tool changed'), 'qe', 1_400);
    const after = draftNcr(closed, 'qe', 1_500, 'NCR-000002');
    expect(after.status).toBe('CLOSED');
    expect(replay(after.audit)).toEqual(after);
    expect(() => draftNcr(raised, 'qe', 1_100, ' ')).toThrow(LifecycleError);
    expect(() => draftNcr(raised, 'qe', 999, 'NCR-1')).toThrow(/before the last step/);
  });
});
