// Alarm cases in the app: which workflow steps a status allows, who may take them (the server's alarm policy), and
// the REST calls (POST /api/alarms/:id/<step>; the server takes the acting user from the session).
import { mayWorkAlarm, type AlarmSource, type AlarmStep } from '../../../server/auth/policy.ts';
import { apiJson, type Role } from './session.ts';
import type { AlarmView } from '../../../../sinks/postgres/alarms.ts';

export type { AlarmView, AlarmSource, AlarmStep };

/** Steps the lifecycle allows from a status (processors/spc/alarm-lifecycle.ts). */
export function stepsFrom(status: AlarmView['status']): AlarmStep[] {
  switch (status) {
    case 'RAISED':
      return ['acknowledge', 'comment'];
    case 'ACKNOWLEDGED':
      return ['cause', 'comment'];
    case 'CAUSE_ASSIGNED':
      return ['cause', 'close', 'comment'];
    case 'CLOSED':
      return [];
  }
}

/** Steps this user may take on this alarm now. */
export function availableSteps(alarm: Pick<AlarmView, 'status' | 'source'>, roles: readonly Role[]): AlarmStep[] {
  return stepsFrom(alarm.status).filter((step) => mayWorkAlarm(roles, alarm.source, step));
}

export const openStatuses = 'RAISED,ACKNOWLEDGED,CAUSE_ASSIGNED';

export async function listAlarms(params: { source: string; scope: string; status?: string; limit?: number }): Promise<{ alarms: AlarmView[]; total: number }> {
  const q = new URLSearchParams({ source: params.source, status: params.status ?? openStatuses, limit: String(params.limit ?? 200) });
  if (params.scope) q.set('scope', params.scope);
  return apiJson(`/api/alarms?${q.toString()}`);
}

export async function act(alarmId: string, step: AlarmStep, body: Record<string, string | null>): Promise<{ alarm: AlarmView }> {
  // `user` is required by the API without logins; with logins the server replaces it with the session's user.
  return apiJson(`/api/alarms/${encodeURIComponent(alarmId)}/${step}`, { user: 'dashboard', ...body });
}

export const statusLabels: Record<AlarmView['status'], string> = {
  RAISED: 'New',
  ACKNOWLEDGED: 'Acknowledged',
  CAUSE_ASSIGNED: 'Cause assigned',
  CLOSED: 'Closed',
};
