import { parseEquipmentPath } from '../../schemas/topics.ts';

/** '' (everything) or a valid ISA-95 path prefix; anything else is null. */
export function parseScope(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '') return '';
  if (typeof raw !== 'string') return null;
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  return parseEquipmentPath(trimmed) ? trimmed : null;
}
