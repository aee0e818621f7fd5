import { describe, expect, it } from 'vitest';
import { availableSteps, stepsFrom } from './alarms.ts';

describe('alarms > workflow steps by status and role', () => {
  it('> the lifecycle decides the steps', () => {
    expect(stepsFrom('RAISED')).toEqual(['acknowledge', 'comment']);
    expect(stepsFrom('CAUSE_ASSIGNED')).toEqual(['cause', 'close', 'comment']);
    expect(stepsFrom('CLOSED')).toEqual([]);
  });

  it('> the role decides which of them a user sees', () => {
    expect(availableSteps({ status: 'RAISED', source: 'SPC' }, ['quality'])).toEqual(['acknowledge', 'comment']);
    expect(availableSteps({ status: 'RAISED', source: 'SPC' }, ['maintenance'])).toEqual([]);
    expect(availableSteps({ status: 'RAISED', source: 'DOWNTIME' }, ['supervisor'])).toEqual(['acknowledge', 'comment']);
    expect(availableSteps({ status: 'ACKNOWLEDGED', source: 'DOWNTIME' }, ['supervisor'])).toEqual(['comment']);
    expect(availableSteps({ status: 'CAUSE_ASSIGNED', source: 'SENSOR' }, ['viewer'])).toEqual([]);
    expect(availableSteps({ status: 'CAUSE_ASSIGNED', source: 'SENSOR' }, ['admin'])).toEqual(['cause', 'close', 'comment']);
  });
});
