// Generates schemas/generated/types.ts from the Avro contracts, so TypeScript types are derived from the
// schema files and never written by hand. Run `npm run schemas:gen`; a unit test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listSchemaNames, readSchemaFile } from './load.ts';

type Json = unknown;

const primitives: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  string: 'string',
  bytes: 'Buffer',
};

function shortName(name: string): string {
  return name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
}

function doc(text: unknown, indent: string): string {
  return typeof text === 'string' && text.length > 0 ? `${indent}/** ${text.replaceAll('*/', '* /')} */\n` : '';
}

export function generateTypes(dir?: string): string {
  const declarations: string[] = [];
  const seen = new Set<string>();

  const tsType = (schema: Json): string => {
    if (typeof schema === 'string') return primitives[schema] ?? shortName(schema);
    if (Array.isArray(schema)) return schema.map(tsType).join(' | ');
    const s = schema as Record<string, Json>;
    switch (s.type) {
      case 'record':
      case 'error':
      case 'enum':
        declare(s);
        return shortName(String(s.name));
      case 'array':
        return `Array<${tsType(s.items)}>`;
      case 'map':
        return `Record<string, ${tsType(s.values)}>`;
      case 'fixed':
        return 'Buffer';
      default:
        return tsType(s.type);
    }
  };

  const declare = (s: Record<string, Json>): void => {
    const name = shortName(String(s.name));
    if (seen.has(name)) return;
    seen.add(name);
    if (s.type === 'enum') {
      const symbols = (s.symbols as string[]).map((v) => `'${v}'`).join(' | ');
      declarations.push(`${doc(s.doc, '')}export type ${name} = ${symbols};\n`);
      return;
    }
    const fields = (s.fields as Array<Record<string, Json>>)
      .map((f) => `${doc(f.doc, '  ')}  ${String(f.name)}: ${tsType(f.type)};`)
      .join('\n');
    declarations.push(`${doc(s.doc, '')}export interface ${name} {\n${fields}\n}\n`);
  };

  for (const name of listSchemaNames(dir)) tsType(readSchemaFile(name, dir));

  return `// Generated from schemas/avro/*.avsc by schemas/codegen.ts. Do not edit: run \`npm run schemas:gen\`.\n\n${declarations.join('\n')}`;
}

export const generatedTypesPath = fileURLToPath(new URL('./generated/types.ts', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(generatedTypesPath, generateTypes());
  console.log(`wrote ${generatedTypesPath}`);
}
