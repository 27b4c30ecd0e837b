/** Officer accounts and the org registry over real HTTP: who may do what, and effects that apply at once. */
import { randomBytes } from 'node:crypto';
import { startTestEnv, type TestEnv } from '../support/env';
import { httpClient, type HttpClient } from '../support/http';
import { loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let admin: string;
let ops: string;
let lan: string;
const PASSWORD = 'mat-khau-du-dai-2026';
const person = () => `cb${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  env = await startTestEnv();
  http = httpClient(env.apiUrl);
  [admin, ops, lan] = await loginDemo(http, 'admin.motcua-mybinh', 'thietke.lanhdao-mybinh', 'lan.motcua-mybinh');
});
afterAll(() => env?.stop());

test('a unit admin creates an account in their unit, and it signs in', async () => {
  const username = `${person()}.motcua-mybinh`;
  const created = await http.post('/api/accounts', { username, fullName: 'Đỗ Thị Hoa', password: PASSWORD, roles: ['one-stop-officer'] }, admin);
  expect(created.status).toBe(201);
  expect(created.body).toEqual({ username, fullName: 'Đỗ Thị Hoa', agency: 'UBND-XA-MY-BINH', unit: 'MOT-CUA', roles: ['one-stop-officer'], disabled: false });
  const token = await http.login(username, PASSWORD);
  expect((await http.get('/api/auth/me', token)).body).toMatchObject({ username, unit: 'MOT-CUA', roles: ['one-stop-officer'] });
  const row = await env.db('accounts').where({ username }).first();
  expect(row.password_hash).toMatch(/^scrypt\$/);
  expect(JSON.stringify(created.body)).not.toContain('scrypt');
  expect((await http.post('/api/accounts', { username, fullName: 'x', password: PASSWORD, roles: [] }, admin)).status).toBe(409);
});

test('every problem of a new account is listed with its path', async () => {
  const bad = await http.post('/api/accounts', { username: 'Hoa.tuphap-mybinh', fullName: 'Hoa', password: 'short', roles: ['ops', 'wizard'] }, admin);
  expect(bad.status).toBe(422);
  expect(bad.body.error.details).toEqual([
    { path: '$.username', message: expect.stringContaining('tencanhan.motcua-mybinh') },
    { path: '$.password', message: 'must have at least 10 characters' },
    { path: '$.roles[0]', message: expect.stringContaining('granted by ops') },
    { path: '$.roles[1]', message: 'role "wizard" does not exist' },
  ]);
});

test("a unit admin cannot touch another unit's accounts; a plain officer cannot administer", async () => {
  const slug = `u${randomBytes(3).toString('hex')}-mybinh`;
  const unit = await http.post('/api/agencies/UBND-XA-MY-BINH/units', { code: `DV-${slug.toUpperCase()}`, name: 'Văn phòng thử', slug }, ops);
  expect(unit.status).toBe(201);
  expect((await http.post('/api/agencies/UBND-XA-MY-BINH/units', { code: 'X', name: 'x', slug: 'x-x' }, admin)).status).toBe(403);
  const elsewhere = `${person()}.${slug}`;
  expect((await http.post('/api/accounts', { username: elsewhere, fullName: 'A', password: PASSWORD, roles: ['specialist'], unit: unit.body.code }, admin)).status).toBe(403);
  const byOps = await http.post('/api/accounts', { username: elsewhere, fullName: 'A', password: PASSWORD, roles: ['specialist'], unit: unit.body.code }, ops);
  expect(byOps.status).toBe(201);
  expect((await http.post(`/api/accounts/${elsewhere}/disable`, {}, admin)).status).toBe(403);
  expect((await http.get(`/api/accounts/${elsewhere}`, admin)).status).toBe(403);
  expect((await http.post('/api/accounts', { username: `${person()}.motcua-mybinh`, fullName: 'B', password: PASSWORD, roles: [] }, lan)).status).toBe(403);
  const mine = await http.get('/api/accounts', admin);
  expect(mine.body.items.every((a: { unit: string }) => a.unit === 'MOT-CUA')).toBe(true);
});

test('a disabled account is refused at once, and works again when enabled', async () => {
  const username = `${person()}.motcua-mybinh`;
  await http.post('/api/accounts', { username, fullName: 'Tạm', password: PASSWORD, roles: ['one-stop-officer'] }, admin);
  const token = await http.login(username, PASSWORD);
  expect((await http.get('/api/tasks', token)).status).toBe(200);
  expect((await http.post(`/api/accounts/${username}/disable`, {}, admin)).body.disabled).toBe(true);
  const refused = await http.get('/api/tasks', token);
  expect(refused.status).toBe(401);
  expect(refused.body.error.message).toContain('disabled');
  expect((await http.post('/api/auth/login', { username, password: PASSWORD })).status).toBe(401);
  await http.post(`/api/accounts/${username}/enable`, {}, admin);
  expect((await http.get('/api/tasks', token)).status).toBe(200);
});

test('a role change takes effect on the next request', async () => {
  const username = `${person()}.motcua-mybinh`;
  await http.post('/api/accounts', { username, fullName: 'Vai trò', password: PASSWORD, roles: ['one-stop-officer'] }, admin);
  const token = await http.login(username, PASSWORD);
  const changed = await http.put(`/api/accounts/${username}/roles`, { roles: ['one-stop-officer', 'leader'] }, admin);
  expect(changed.body.roles).toEqual(['leader', 'one-stop-officer']);
  expect((await http.get('/api/auth/me', token)).body.roles.sort()).toEqual(['leader', 'one-stop-officer']);
  await http.put(`/api/accounts/${username}/roles`, { roles: [] }, admin);
  expect((await http.get('/api/auth/me', token)).body.roles).toEqual([]);
});

test('login is rate limited per account and address', async () => {
  const limited = await startTestEnv({ loginLimit: 3 });
  try {
    const client = httpClient(limited.apiUrl);
    const tries = [];
    for (let i = 0; i < 4; i++) tries.push((await client.post('/api/auth/login', { username: 'lan.motcua-mybinh', password: `wrong-${i}` })).status);
    expect(tries).toEqual([401, 401, 401, 429]);
  } finally {
    await limited.stop();
  }
});
