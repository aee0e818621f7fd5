// Who may do what: the route -> roles table of the REST API, the event -> roles table of Socket.IO, and which roles
// work which alarms. Pure data and functions (no fastify, no socket.io): the server enforces it (./index.ts) and the
// app imports the same table to show only the actions a user may take.
//
// Default deny: a route or event missing from these tables is refused (403), so a new API route is closed until it
// gets a row here (the test "every route of the API has a policy" fails first).

export const userRoles = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin'] as const;
export type UserRole = (typeof userRoles)[number];
/** A kiosk token (wall display) carries only this role: read-only, the wall's routes and live updates. */
export type Role = UserRole | 'kiosk';

/** Anyone, without a token. */
export const PUBLIC = 'public' as const;
/** Any valid session or kiosk token. */
export const AUTHENTICATED = 'authenticated' as const;
export type Rule = typeof PUBLIC | typeof AUTHENTICATED | readonly Role[];

const read: readonly Role[] = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin'];
const wall: readonly Role[] = [...read, 'kiosk'];
const actOnAlarms: readonly Role[] = ['supervisor', 'quality', 'maintenance', 'admin'];
const resolveAlarms: readonly Role[] = ['quality', 'maintenance', 'admin'];

/** "METHOD /route/pattern" (fastify's route url, e.g. /api/alarms/:alarmId) -> who may call it. HEAD follows GET. */
export const routePolicy: Readonly<Record<string, Rule>> = {
  // The app itself, health and the API description: public (the login page must load; probes carry no token).
  'GET /*': PUBLIC,
  'GET /api/health': PUBLIC,
  'GET /health': PUBLIC,
  'GET /ready': PUBLIC,
  'GET /api/openapi.json': PUBLIC,
  // Prometheus scrapes without a token; the figures name no user and no product data. Listening is 127.0.0.1 only.
  'GET /metrics': PUBLIC,
  'POST /api/auth/login': PUBLIC,
  'POST /api/auth/refresh': PUBLIC,
  'GET /api/auth/me': AUTHENTICATED,
  'POST /api/auth/kiosk': ['admin'],
  // Unknown API paths answer 404 to a signed-in user only.
  'GET /api/*': AUTHENTICATED,

  // What the OEE wall reads: kiosk tokens too.
  'GET /api/counts': wall,
  'GET /api/oee': wall,
  'GET /api/states': wall,
  'GET /api/counts/plan': wall,

  'GET /api/counts/history': read,
  'GET /api/microstops': read,
  'GET /api/quality': read,
  'GET /api/reliability': read,
  'GET /api/spc/chart': read,
  'GET /api/telemetry': read,
  'GET /api/genealogy/trace': read,
  'GET /api/alarms': read,
  'GET /api/alarms/:alarmId': read,

  // Alarm workflow; which alarms (SPC, downtime, sensor) a role may work is refined by alarmPolicy below.
  'POST /api/alarms/:alarmId/acknowledge': actOnAlarms,
  'POST /api/alarms/:alarmId/comment': actOnAlarms,
  'POST /api/alarms/:alarmId/cause': resolveAlarms,
  'POST /api/alarms/:alarmId/close': resolveAlarms,

  // Ingest gateways (ingest/manual, ingest/erp) mounted on the same server.
  'POST /api/measurements': ['supervisor', 'quality', 'admin'],
  'POST /api/spc/commands': ['quality', 'admin'],
  // ERP integrations post schedules with a service account holding the admin role.
  'POST /api/erp/schedules': ['admin'],

  // Line / equipment drill-down (trend) and the current work order of each wall tile (kiosk too).
  'GET /api/oee/trend': read,
  'GET /api/workorders/current': wall,
  // User administration: admin only.
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'POST /api/users/:username/roles': ['admin'],
  'POST /api/users/:username/disable': ['admin'],

  // SPC quality (dashboard/server/api/spc.ts): capability and the limits trail are read by all; containment lists
  // and NCR drafts name serials and lots: quality, supervisors and admins read them, quality engineers draft NCRs.
  'GET /api/spc/capability': read,
  'GET /api/spc/capability/latest': read,
  'GET /api/spc/limits-audit': read,
  'GET /api/spc/alarms/:alarmId/containment': ['quality', 'supervisor', 'admin'],
  'GET /api/spc/ncrs': ['quality', 'supervisor', 'admin'],
  'POST /api/spc/alarms/:alarmId/ncr': ['quality', 'admin'],
};

/** Socket.IO events a client may send, and who may send them. Connecting at all needs a session or kiosk token. */
export const eventPolicy: Readonly<Record<string, Rule>> = {
  subscribe: wall,
  /** Renews the socket's session with a fresh access token (the client sends it after a refresh). */
  auth: AUTHENTICATED,
};

export type AlarmSource = 'SPC' | 'DOWNTIME' | 'SENSOR';
export type AlarmStep = 'acknowledge' | 'comment' | 'cause' | 'close';

/**
 * Which roles work which alarms (the roles table of migration 0006): quality engineers work SPC alarms; maintenance
 * works downtime and sensor alerts; supervisors acknowledge and comment downtime alerts; admins do everything.
 */
export const alarmPolicy: Readonly<Record<AlarmSource, Readonly<Record<AlarmStep, readonly Role[]>>>> = {
  SPC: { acknowledge: ['quality', 'admin'], comment: ['quality', 'admin'], cause: ['quality', 'admin'], close: ['quality', 'admin'] },
  DOWNTIME: {
    acknowledge: ['supervisor', 'maintenance', 'admin'],
    comment: ['supervisor', 'maintenance', 'admin'],
    cause: ['maintenance', 'admin'],
    close: ['maintenance', 'admin'],
  },
  SENSOR: { acknowledge: ['maintenance', 'admin'], comment: ['maintenance', 'admin'], cause: ['maintenance', 'admin'], close: ['maintenance', 'admin'] },
};

export function allows(rule: Rule | undefined, roles: readonly Role[] | null): boolean {
  if (rule === undefined) return false;
  if (rule === PUBLIC) return true;
  if (roles === null) return false;
  if (rule === AUTHENTICATED) return roles.length > 0;
  return roles.some((role) => rule.includes(role));
}

/** The rule of a request, or undefined (deny) when the route has none. */
export function ruleFor(method: string, routeUrl: string | undefined, table: Readonly<Record<string, Rule>> = routePolicy): Rule | undefined {
  if (!routeUrl) return undefined;
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return table[`${m} ${routeUrl}`];
}

export function mayWorkAlarm(roles: readonly Role[], source: AlarmSource, step: AlarmStep): boolean {
  return roles.some((role) => alarmPolicy[source][step].includes(role));
}
