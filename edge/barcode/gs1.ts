// Barcode text -> GS1 element string fields or a plain code, pure and total: every input gives either a parsed
// result or a rejection with a reason, never an exception (property-tested in gs1.test.ts).
//
// Recognised input forms
// - Symbology identifier prefix (ISO/IEC 15424): ]C1 GS1-128, ]d2 GS1 DataMatrix, ]Q3 GS1 QR, ]e0 GS1 DataBar,
//   ]J1 GS1 DotCode -> GS1; ]C0 Code 128, ]d1, ]Q1, ]A0, ]E0, ... -> plain code.
// - No prefix: a leading GS (FNC1 as transmitted), or the bracketed human-readable form "(01)...(10)...",
//   or "01" + a GTIN-14 with a valid check digit -> GS1; anything else -> plain code.
// Element strings: fixed-length AIs run into the next AI; variable-length AIs end at GS (0x1D) or at the end.
// AIs and lengths follow the GS1 General Specifications' AI table (the subset below; others are rejected as
// unknown rather than guessed). Checks: digits where numeric, GS1 character set 82 for alphanumerics, mod-10
// check digit of GTIN and SSCC, valid YYMMDD dates (DD = 00 means the last day of the month).
import type { Gs1Fields } from '../../schemas/generated/types.ts';

export const GS = '\u001d';

interface AiSpec {
  /** Fixed data length, or null for variable. */
  fixed: number | null;
  /** Maximum data length (variable AIs). */
  max: number;
  numeric: boolean;
  kind?: 'gtin' | 'sscc' | 'date' | 'count';
}

const n = (len: number, kind?: AiSpec['kind']): AiSpec => ({ fixed: len, max: len, numeric: true, ...(kind ? { kind } : {}) });
const nv = (max: number, kind?: AiSpec['kind']): AiSpec => ({ fixed: null, max, numeric: true, ...(kind ? { kind } : {}) });
const an = (max: number): AiSpec => ({ fixed: null, max, numeric: false });

const aiTable = new Map<string, AiSpec>([
  ['00', n(18, 'sscc')],
  ['01', n(14, 'gtin')],
  ['02', n(14, 'gtin')],
  ['10', an(20)],
  ['11', n(6, 'date')],
  ['12', n(6, 'date')],
  ['13', n(6, 'date')],
  ['15', n(6, 'date')],
  ['16', n(6, 'date')],
  ['17', n(6, 'date')],
  ['20', n(2)],
  ['21', an(20)],
  ['22', an(20)],
  ['235', an(28)],
  ['240', an(30)],
  ['241', an(30)],
  ['250', an(30)],
  ['251', an(30)],
  ['30', nv(8, 'count')],
  ['37', nv(8, 'count')],
  ['400', an(30)],
  ['401', an(30)],
  ['402', n(17)],
  ['403', an(30)],
  ['410', n(13)],
  ['411', n(13)],
  ['412', n(13)],
  ['413', n(13)],
  ['414', n(13)],
  ['415', n(13)],
  ['416', n(13)],
  ['420', an(20)],
  ['421', { fixed: null, max: 12, numeric: false }],
  ['422', n(3)],
  ['7003', n(10)],
  ['8004', an(30)],
  ['8020', an(25)],
  ['90', an(30)],
  ...['91', '92', '93', '94', '95', '96', '97', '98', '99'].map((ai): [string, AiSpec] => [ai, an(90)]),
]);
// Measures: 310n..316n, 320n..369n (n = decimal places): six digits.
for (let base = 310; base <= 369; base += 1) {
  if (base >= 317 && base <= 319) continue;
  for (let d = 0; d <= 9; d += 1) aiTable.set(`${base}${d}`, n(6));
}

const gs1Symbologies = new Set([']C1', ']d2', ']Q3', ']e0', ']J1']);
const cset82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;

export type BarcodeParse =
  | { ok: true; kind: 'gs1'; gs1: Gs1Fields; symbology: string | null }
  | { ok: true; kind: 'code'; code: string; symbology: string | null }
  | { ok: false; reason: string; symbology: string | null };

export function mod10Valid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i -= 1, w = w === 3 ? 1 : 3) sum += Number(digits[i]) * w;
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

/** YYMMDD -> ISO date, with the GS1 sliding century window around `now` (-49..+50 years). */
export function gs1Date(yymmdd: string, now: Date): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null;
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  const dd = Number(yymmdd.slice(4, 6));
  if (mm < 1 || mm > 12) return null;
  const current = now.getUTCFullYear();
  const century = Math.floor(current / 100) * 100;
  let year = century + yy;
  if (year - current > 50) year -= 100;
  else if (current - year >= 50) year += 100;
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd > last) return null;
  const day = dd === 0 ? last : dd;
  return `${String(year).padStart(4, '0')}-${String(mm).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function findAi(s: string, pos: number): string | null {
  for (const len of [2, 3, 4]) {
    const candidate = s.slice(pos, pos + len);
    if (candidate.length === len && aiTable.has(candidate)) return candidate;
  }
  return null;
}

function checkValue(ai: string, spec: AiSpec, data: string, now: Date): string | null {
  if (data.length === 0) return `AI (${ai}) has no data`;
  if (data.length > spec.max) return `AI (${ai}) data longer than ${spec.max}`;
  if (spec.fixed !== null && data.length !== spec.fixed) return `AI (${ai}) needs ${spec.fixed} digits, got ${data.length}`;
  if (spec.numeric && !/^\d+$/.test(data)) return `AI (${ai}) must be numeric`;
  if (!spec.numeric && !cset82.test(data)) return `AI (${ai}) contains characters outside the GS1 character set`;
  if ((spec.kind === 'gtin' || spec.kind === 'sscc') && !mod10Valid(data)) return `AI (${ai}) check digit wrong`;
  if (spec.kind === 'date' && gs1Date(data, now) === null) return `AI (${ai}) is not a valid YYMMDD date`;
  return null;
}

function toFields(pairs: Array<[string, string]>, now: Date): Gs1Fields {
  const fields: Gs1Fields = { gtin: null, lot: null, serial: null, expiry: null, quantity: null, other: {} };
  for (const [ai, data] of pairs) {
    if (ai === '01') fields.gtin = data;
    else if (ai === '10') fields.lot = data;
    else if (ai === '21') fields.serial = data;
    else if (ai === '17') fields.expiry = gs1Date(data, now);
    else if (ai === '30' || ai === '37') {
      if (fields.quantity === null) fields.quantity = Number(data);
      fields.other[ai] = data;
    } else fields.other[ai] = data;
  }
  return fields;
}

function parseElementString(s: string, now: Date): { ok: true; pairs: Array<[string, string]> } | { ok: false; reason: string } {
  const pairs: Array<[string, string]> = [];
  const seen = new Set<string>();
  let pos = 0;
  while (pos < s.length) {
    if (s[pos] === GS) {
      pos += 1;
      continue;
    }
    const ai = findAi(s, pos);
    if (!ai) return { ok: false, reason: `unknown or missing AI at position ${pos} ("${s.slice(pos, pos + 4).replace(/[^\x20-\x7e]/g, '?')}")` };
    const spec = aiTable.get(ai) as AiSpec;
    const start = pos + ai.length;
    let data: string;
    if (spec.fixed !== null) {
      data = s.slice(start, start + spec.fixed);
      if (data.includes(GS)) return { ok: false, reason: `AI (${ai}) needs ${spec.fixed} characters before the next separator` };
      pos = start + spec.fixed;
    } else {
      const end = s.indexOf(GS, start);
      data = s.slice(start, end === -1 ? s.length : end);
      pos = end === -1 ? s.length : end + 1;
    }
    const problem = checkValue(ai, spec, data, now);
    if (problem) return { ok: false, reason: problem };
    if (seen.has(ai)) return { ok: false, reason: `AI (${ai}) appears twice` };
    seen.add(ai);
    pairs.push([ai, data]);
  }
  if (pairs.length === 0) return { ok: false, reason: 'GS1 barcode with no element' };
  return { ok: true, pairs };
}

function parseBracketed(s: string, now: Date): { ok: true; pairs: Array<[string, string]> } | { ok: false; reason: string } {
  const pairs: Array<[string, string]> = [];
  const seen = new Set<string>();
  const re = /\((\d{2,4})\)([^(]*)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(s)) !== null) {
    const ai = m[1] as string;
    const data = m[2] as string;
    const spec = aiTable.get(ai);
    if (!spec) return { ok: false, reason: `unknown AI (${ai})` };
    const problem = checkValue(ai, spec, data, now);
    if (problem) return { ok: false, reason: problem };
    if (seen.has(ai)) return { ok: false, reason: `AI (${ai}) appears twice` };
    seen.add(ai);
    pairs.push([ai, data]);
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || pairs.length === 0) return { ok: false, reason: `malformed bracketed GS1 text at position ${consumed}` };
  return { ok: true, pairs };
}

export interface ParseOptions {
  /** For the century of YYMMDD dates. */
  now: Date;
  /** Longest accepted scan. Default 200. */
  maxLength?: number;
}

/** Parses one scan (one line from a scanner). Total: never throws. */
export function parseBarcode(raw: string, options: ParseOptions): BarcodeParse {
  try {
    const maxLength = options.maxLength ?? 200;
    let text = raw.replace(/[\r\n]+$/, '');
    let symbology: string | null = null;
    const sym = /^\][A-Za-z][0-9A-Za-z]/.exec(text);
    if (sym) {
      symbology = sym[0];
      text = text.slice(3);
    }
    if (text.length === 0) return { ok: false, reason: 'empty scan', symbology };
    if (text.length > maxLength) return { ok: false, reason: `scan longer than ${maxLength} characters`, symbology };
    const gs1 = symbology !== null ? gs1Symbologies.has(symbology) : text.startsWith(GS) || text.startsWith('(') || (/^01\d{14}/.test(text) && mod10Valid(text.slice(2, 16)));
    if (gs1) {
      const body = text.startsWith(GS) ? text.slice(1) : text;
      const parsed = body.startsWith('(') ? parseBracketed(body, options.now) : parseElementString(body, options.now);
      if (!parsed.ok) return { ok: false, reason: `GS1: ${parsed.reason}`, symbology };
      return { ok: true, kind: 'gs1', gs1: toFields(parsed.pairs, options.now), symbology };
    }
    // Plain code (Code 128 and friends): printable ASCII only.
    if (!/^[\x20-\x7e]+$/.test(text)) return { ok: false, reason: 'plain code contains non-printable or non-ASCII characters', symbology };
    if (text.trim().length === 0) return { ok: false, reason: 'blank scan', symbology };
    return { ok: true, kind: 'code', code: text, symbology };
  } catch (error) {
    return { ok: false, reason: `unparseable scan: ${(error as Error).message}`, symbology: null };
  }
}

/** Builds a GS1 element string (for the simulator and tests): fixed AIs unterminated, variable ones GS-terminated. */
export function buildElementString(elements: Array<[string, string]>): string {
  return elements
    .map(([ai, data], i) => {
      const spec = aiTable.get(ai);
      const last = i === elements.length - 1;
      return `${ai}${data}${spec && spec.fixed === null && !last ? GS : ''}`;
    })
    .join('');
}

/** Appends the mod-10 check digit to a GTIN-13 body (or any digit string). */
export function withCheckDigit(body: string): string {
  let sum = 0;
  for (let i = body.length - 1, w = 3; i >= 0; i -= 1, w = w === 3 ? 1 : 3) sum += Number(body[i]) * w;
  return `${body}${(10 - (sum % 10)) % 10}`;
}
