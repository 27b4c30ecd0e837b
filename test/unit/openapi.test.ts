/**
 * The OpenAPI document describes every route the app declares: each `app.get('/api/…')` in api/app.ts
 * and each route of the routers in api/routes/ (mounted under /api unless their path says otherwise).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../api/openapi';

const root = join(__dirname, '..', '..');
const sources = ['api/app.ts', ...readdirSync(join(root, 'api', 'routes')).map((f) => `api/routes/${f}`)];
/** routes outside /api: pages for people (payment page, public lookup page) and the Prometheus scrape */
const OUTSIDE_API = ['/pay', '/tra-cuu', '/metrics'];

function declaredRoutes(): string[] {
  const found: string[] = [];
  for (const file of sources) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/\.(get|post|put|delete|patch)\(\s*'(\/[^']*)'/g)) {
      let path = m[2];
      if (!path.startsWith('/api') && !OUTSIDE_API.some((p) => path.startsWith(p))) path = `/api${path}`;
      found.push(`${m[1]} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return found;
}

test('the route scan finds the routes', () => {
  expect(declaredRoutes()).toEqual(expect.arrayContaining(['post /api/tasks/{id}/complete', 'get /api/agencies', 'get /metrics']));
});

test('every declared route is in the OpenAPI document, with its method', () => {
  const paths = openApiDocument.paths as Record<string, Record<string, unknown>>;
  const missing = declaredRoutes().filter((r) => {
    const [method, path] = r.split(' ');
    return !OUTSIDE_API.some((p) => path.startsWith(p) && p !== '/metrics') && !paths[path]?.[method];
  });
  expect(missing).toEqual([]);
});
