/**
 * The designers' command-line tool.
 *
 *   npm run procedure -- validate FILE...            check files offline against the shipped registry (exit 1 on problems)
 *   npm run procedure -- validate FILE --api URL     check against a running platform's registry
 *   npm run procedure -- publish FILE --api URL --user NAME [--password P]   upload and publish (password also from PROCEDURE_PASSWORD)
 *   npm run procedure -- diagram FILE [--out FILE.svg]   draw the process (SVG; on standard output without --out)
 *
 * Exit codes: 0 all good, 1 problems (each printed as `FILE: JSONPATH: message`), 2 wrong usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { shippedCompileContext } from './seed';
import { renderDiagram } from '../api/services/diagram';
import { compile } from '../domain/procedure/compile';
import type { Problem } from '../domain/plan';

function args(argv: string[]) {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) flags[argv[i].slice(2)] = argv[++i] ?? '';
    else positional.push(argv[i]);
  }
  return { positional, flags };
}

/** The file's definition, or the problem that stops reading it (reported like any other). */
function readDefinition(file: string): { definition: unknown } | { problem: Problem } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: { path: '$', message: `cannot read the file: ${(err as Error).message}` } };
  }
  try {
    return { definition: JSON.parse(text) };
  } catch (err) {
    return { problem: { path: '$', message: `not valid JSON: ${(err as Error).message}` } };
  }
}

async function api(base: string, path: string, init: RequestInit = {}, token?: string) {
  const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
    ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const body = (await res.json().catch(() => ({}))) as any;
  return { status: res.status, body };
}

function printProblems(file: string, problems: Problem[]) {
  for (const p of problems) console.log(`${file}: ${p.path}: ${p.message}`);
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { positional, flags } = args(rest);
  if (!command || !['validate', 'publish', 'diagram'].includes(command) || positional.length === 0) {
    console.log(readFileSync(__filename, 'utf8').split('*/')[0].replace(/^\/\*\*?|^ \* ?/gm, ''));
    return 2;
  }
  if (command === 'validate') {
    let failed = 0;
    for (const file of positional) {
      const read = readDefinition(file);
      if ('problem' in read) {
        failed += 1;
        printProblems(file, [read.problem]);
        continue;
      }
      const { definition } = read;
      let problems: Problem[];
      if (flags.api) {
        const res = await api(flags.api, '/api/procedures/validate', { method: 'POST', body: JSON.stringify(definition) });
        problems = res.status === 200 ? [] : res.body.error?.details ?? [{ path: '$', message: res.body.error?.message ?? `HTTP ${res.status}` }];
      } else {
        const result = compile(definition, shippedCompileContext());
        problems = result.ok ? [] : result.problems;
      }
      if (problems.length) {
        failed += 1;
        printProblems(file, problems);
      } else {
        console.log(`${file}: ok`);
      }
    }
    return failed ? 1 : 0;
  }
  const file = positional[0];
  const read = readDefinition(file);
  if ('problem' in read) {
    printProblems(file, [read.problem]);
    return 1;
  }
  const definition = read.definition as { code: string; version: number };
  if (command === 'diagram') {
    const result = compile(definition, shippedCompileContext());
    if (!result.ok) {
      printProblems(file, result.problems);
      return 1;
    }
    const svg = await renderDiagram(result.plan);
    if (!flags.out) {
      process.stdout.write(svg);
      return 0;
    }
    writeFileSync(flags.out, svg);
    console.log(`diagram written to ${flags.out}`);
    return 0;
  }
  if (!flags.api || !flags.user) {
    console.error('publish needs --api URL and --user NAME (password: --password or PROCEDURE_PASSWORD)');
    return 2;
  }
  const login = await api(flags.api, '/api/auth/login', { method: 'POST',
    body: JSON.stringify({ username: flags.user, password: flags.password ?? process.env.PROCEDURE_PASSWORD ?? '' }) });
  if (login.status !== 200) {
    console.error(`login failed: ${login.body.error?.message ?? login.status}`);
    return 1;
  }
  const started = Date.now();
  const uploaded = await api(flags.api, '/api/procedures', { method: 'POST', body: JSON.stringify(definition) }, login.body.token);
  if (uploaded.status !== 201 && uploaded.status !== 200) {
    printProblems(file, uploaded.body.error?.details ?? [{ path: '$', message: uploaded.body.error?.message ?? `HTTP ${uploaded.status}` }]);
    return 1;
  }
  const published = await api(flags.api, `/api/procedures/${encodeURIComponent(definition.code)}/versions/${definition.version}/publish`,
    { method: 'POST' }, login.body.token);
  if (published.status !== 200) {
    printProblems(file, published.body.error?.details ?? [{ path: '$', message: published.body.error?.message ?? `HTTP ${published.status}` }]);
    return 1;
  }
  console.log(`${definition.code} v${definition.version} is live (${Date.now() - started} ms)`);
  return 0;
}

// exit once standard output has drained: a piped SVG must arrive whole
main().then((code) => process.stdout.write('', () => process.exit(code)), (err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
