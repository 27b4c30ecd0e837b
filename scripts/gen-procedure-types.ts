/**
 * Derives the TypeScript types of a procedure definition from its JSON Schema, so they are never kept
 * by hand beside it: `npm run gen:types` rewrites domain/procedure/definition.ts; with `--check` it
 * only compares, exiting 1 when the committed file differs from what the schema gives (a unit test runs that).
 */
import { compile } from 'json-schema-to-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
export const SCHEMA_FILE = join(root, 'procedures', 'schema', 'procedure.schema.json');
export const TYPES_FILE = join(root, 'domain', 'procedure', 'definition.ts');

/** The TypeScript source the schema gives. */
export async function generateDefinitionTypes(): Promise<string> {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  return compile(schema, 'ProcedureDefinition', {
    bannerComment: '/* Generated from procedures/schema/procedure.schema.json by scripts/gen-procedure-types.ts: do not edit. */',
    additionalProperties: false,
    unreachableDefinitions: false,
    // no prettier: it loads as an ES module, which Jest's test sandbox cannot import
    format: false,
  });
}

if (require.main === module) {
  generateDefinitionTypes().then((source) => {
    if (process.argv.includes('--check')) {
      const same = readFileSync(TYPES_FILE, 'utf8') === source;
      console.log(same ? 'definition types are up to date' : `${TYPES_FILE} is stale: run npm run gen:types`);
      process.exit(same ? 0 : 1);
    }
    writeFileSync(TYPES_FILE, source);
    console.log(`wrote ${TYPES_FILE}`);
  });
}
