// XXE-safe XML reading for B2MML: libxml2 (compiled to WebAssembly, libxml2-wasm) parses and validates against the
// official XSDs, in process. Defences, in the order they apply:
//   1. a size limit, before anything is parsed;
//   2. no DTD at all: a DOCTYPE in the prolog is refused before the parser sees the document (B2MML needs no DTD,
//      and DTD entities are what XXE and entity-expansion "billion laughs" attacks are made of);
//   3. the parser runs without entity substitution (no XML_PARSE_NOENT), without loading external DTDs or entities
//      (XML_PARSE_NO_XXE, no XML_PARSE_DTDLOAD), without network (XML_PARSE_NONET), with libxml2's default limits
//      (nesting depth 256, entity amplification), never XML_PARSE_HUGE;
//   4. the only files libxml2 can open are the XSDs, served from memory (XmlBufferInputProvider), so neither a
//      document nor a schema can make it read anything else.
// The parsed document is copied into a small plain tree (XmlNode) and disposed at once, so nothing above this file
// handles WebAssembly memory.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ParseOption,
  XmlBufferInputProvider,
  XmlDocument,
  XmlElement,
  XmlLibError,
  XmlText,
  XmlCData,
  XsdValidator,
  xmlRegisterInputProvider,
  type ErrorDetail,
} from 'libxml2-wasm';
import { ConfigError } from '../../platform/errors.ts';

/** An element of a parsed document: local name, namespace, attributes, element children, own text. */
export interface XmlNode {
  name: string;
  ns: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated text and CDATA directly inside the element. */
  text: string;
  line: number;
}

/** Why a document was refused: where (an element path, or line and column) and what was wrong. */
export interface Rejection {
  /** `/OperationsSchedule/OperationsRequest[2]/ID`, or `line 3, column 14` for a document that is not well-formed. */
  path: string;
  reason: string;
}

export function rejectionText(r: Rejection): string {
  return `${r.path}: ${r.reason}`;
}

export type ParsedXml = { ok: true; root: XmlNode; doc: XmlDocument } | { ok: false; rejection: Rejection };

const parseOptions = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

/** The B2MML V0700 XSD folder beside the repository: `<repo>/../shared/b2mml-v0700`. */
export const defaultXsdDir = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'b2mml-v0700');

/**
 * Refuses a DOCTYPE before parsing. Only the prolog (XML declaration, comments, processing instructions,
 * whitespace) may precede it, so the scan stops at the first element.
 */
function prologProblem(text: string): Rejection | null {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return null; // the parser reports it
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return null;
      i = end + 3;
    } else if (/^<!DOCTYPE/i.test(text.slice(i, i + 9))) {
      const line = text.slice(0, i).split('\n').length;
      return {
        path: `line ${line} (prolog)`,
        reason: 'a DOCTYPE declaration is not accepted: B2MML documents need no DTD, and DTD entities are refused (XXE and entity-expansion protection); remove the <!DOCTYPE ...> declaration',
      };
    } else return null;
  }
}

function firstLine(message: string): string {
  return message.split('\n').find((l) => l.trim() !== '')?.trim() ?? message.trim();
}

/** Parses `text` safely; never throws for bad input. The caller disposes `doc` (see `withParsed`). */
export function parseXml(text: string, maxBytes: number): ParsedXml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) return { ok: false, rejection: { path: '/', reason: `the document is ${bytes} bytes, more than the ${maxBytes} accepted (erp.maxDocumentBytes)` } };
  if (text.trim() === '') return { ok: false, rejection: { path: '/', reason: 'the document is empty' } };
  const prolog = prologProblem(text);
  if (prolog) return { ok: false, rejection: prolog };
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(text, { option: parseOptions });
  } catch (error) {
    const detail = error instanceof XmlLibError ? error.details.find((d) => d.level >= 2) ?? error.details[0] : undefined;
    const reason = detail ? firstLine(detail.message) : firstLine((error as Error).message ?? String(error));
    return { ok: false, rejection: { path: detail ? `line ${detail.line}, column ${detail.col}` : '/', reason: `not well-formed XML: ${reason}` } };
  }
  try {
    return { ok: true, root: toNode(doc.root), doc };
  } catch (error) {
    doc.dispose();
    return { ok: false, rejection: { path: '/', reason: `unreadable document: ${firstLine((error as Error).message ?? String(error))}` } };
  }
}

function toNode(element: XmlElement): XmlNode {
  const node: XmlNode = { name: element.name, ns: element.namespaceUri, attrs: {}, children: [], text: '', line: element.line };
  for (const attr of element.attrs) node.attrs[attr.name] = attr.value;
  for (let child = element.firstChild; child !== null; child = child.next) {
    if (child instanceof XmlElement) node.children.push(toNode(child));
    else if (child instanceof XmlText || child instanceof XmlCData) node.text += child.content;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------------------------
// Element paths

/** Name of `child` inside `parent` for a path: `Name`, or `Name[n]` when the parent has several of that name. */
export function stepName(parent: XmlNode | null, child: XmlNode): string {
  if (!parent) return child.name;
  const same = parent.children.filter((c) => c.name === child.name);
  return same.length > 1 ? `${child.name}[${same.indexOf(child) + 1}]` : child.name;
}

/**
 * Turns libxml2's positional XPath of an error (`/*\/*[3]/*[2]`, elements only) into a named path
 * (`/OperationsSchedule/OperationsRequest[2]/ID`) over the plain tree.
 */
export function namedPath(root: XmlNode, xpath: string | undefined): string {
  if (!xpath) return '/';
  const steps = xpath.split('/').filter(Boolean);
  if (steps.length === 0 || !/^\*(\[1\])?$/.test(steps[0]!)) return xpath;
  let node = root;
  let path = `/${root.name}`;
  for (const step of steps.slice(1)) {
    const match = /^\*(?:\[(\d+)\])?$/.exec(step);
    if (!match) return `${path}/${step}`;
    const child = node.children[Number(match[1] ?? 1) - 1];
    if (!child) return `${path}/${step}`;
    path += `/${stepName(node, child)}`;
    node = child;
  }
  return path;
}

// ---------------------------------------------------------------------------------------------------------------
// XSD validation

/** The official B2MML V0700 schemas of one folder, compiled on first use, one validator per top-level XSD. */
export interface XsdSet {
  readonly dir: string;
  /**
   * Validates a parsed document against `xsd` (file name in the folder, e.g. `B2MML-OperationsSchedule.xsd`).
   * Returns null when valid, else the first problem with its element path (and how many more there are).
   */
  validate(parsed: { root: XmlNode; doc: XmlDocument }, xsd: string): Rejection | null;
}

const providers = new Map<string, XmlBufferInputProvider>();
const validators = new Map<string, XsdValidator>();

/** Opens the XSD folder (ConfigError when it is missing); the schemas themselves compile lazily. */
export function openXsdSet(dir: string = defaultXsdDir): XsdSet {
  const abs = resolve(dir);
  let files: string[];
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a folder');
    files = readdirSync(abs).filter((f) => f.endsWith('.xsd'));
  } catch {
    throw new ConfigError(`B2MML XSD folder ${abs}`, 'not found: the official B2MML V0700 schemas are expected in ../shared/b2mml-v0700 beside the repository (erp.xsdDir to point elsewhere)');
  }
  if (!files.includes('B2MML-OperationsSchedule.xsd'))
    throw new ConfigError(`B2MML XSD folder ${abs}`, 'has no B2MML-OperationsSchedule.xsd: it must hold the official B2MML V0700 schemas');
  if (!providers.has(abs)) {
    const buffers: Record<string, Uint8Array> = {};
    for (const f of files) buffers[join(abs, f)] = readFileSync(join(abs, f));
    const provider = new XmlBufferInputProvider(buffers);
    xmlRegisterInputProvider(provider);
    providers.set(abs, provider);
  }
  const validator = (xsd: string): XsdValidator => {
    const key = join(abs, xsd);
    const known = validators.get(key);
    if (known) return known;
    if (!files.includes(xsd)) throw new ConfigError(`B2MML XSD folder ${abs}`, `has no ${xsd}`);
    const schemaDoc = XmlDocument.fromBuffer(readFileSync(key), { url: key, option: ParseOption.XML_PARSE_NONET });
    try {
      const compiled = XsdValidator.fromDoc(schemaDoc);
      validators.set(key, compiled);
      return compiled;
    } finally {
      schemaDoc.dispose();
    }
  };
  return {
    dir: abs,
    validate(parsed, xsd) {
      const v = validator(xsd);
      try {
        v.validate(parsed.doc);
        return null;
      } catch (error) {
        if (!(error instanceof XmlLibError)) return { path: '/', reason: `XSD validation failed: ${firstLine((error as Error).message ?? String(error))}` };
        const errors = error.details.filter((d) => d.level >= 2);
        const first: ErrorDetail | undefined = errors[0] ?? error.details[0];
        if (!first) return { path: '/', reason: `not valid against ${xsd}` };
        // libxml2 says "Element '{ns}Name': what" (often twice for one value: the facet, then the base type); the
        // path already names the element.
        const same = errors.filter((d) => d.xpath === first.xpath);
        const what = [...new Set((same.length > 0 ? same : [first]).map((d) => firstLine(d.message).replace(/^Element '[^']*'(?:, attribute '([^']*)')?: /, (_m, attr?: string) => (attr ? `attribute ${attr}: ` : ''))))].join('; ');
        const others = errors.length - Math.max(1, same.length);
        const more = others > 0 ? ` (and ${others} more problem${others > 1 ? 's' : ''})` : '';
        return { path: namedPath(parsed.root, first.xpath), reason: `not valid against ${xsd}: ${what.replace(/\{http:\/\/www\.mesa\.org\/xml\/B2MML\}/g, '')}${more}` };
      }
    },
  };
}

/** Runs `work` on a parsed document and disposes it afterwards. */
export function withParsed<T>(parsed: { doc: XmlDocument }, work: () => T): T {
  try {
    return work();
  } finally {
    parsed.doc.dispose();
  }
}
