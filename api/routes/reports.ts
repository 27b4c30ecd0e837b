import { Router, type Request } from 'express';
import { requireOfficer } from '../auth';
import { BadRequestError } from '../errors';
import { queryText } from '../params';
import type { ReportService } from '../services/reports';

/** CSV when asked by `?format=csv` or `Accept: text/csv`; JSON otherwise. */
function wantsCsv(req: Request): boolean {
  const format = queryText(req, 'format');
  if (format !== undefined && format !== 'csv' && format !== 'json') throw new BadRequestError('format must be json or csv',
    [{ path: '$.query.format', message: `"${format}" is neither json nor csv` }]);
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Reports: punctuality and QĐ 766 indicators for officers, the monthly late list for everyone. */
export function reportsRouter(deps: { reports: ReportService }): Router {
  const { reports } = deps;
  const router = Router();

  router.get('/reports/punctuality', async (req, res) => {
    requireOfficer(req);
    const csv = wantsCsv(req);
    const report = await reports.punctuality(req.query);
    if (!csv) return void res.json(report);
    res.type('text/csv; charset=utf-8')
      .attachment(`dung-han-${report.groupBy}-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`)
      .send(reports.punctualityCsv(report));
  });

  router.get('/reports/indicators', async (req, res) => {
    requireOfficer(req);
    const csv = wantsCsv(req);
    const report = await reports.indicators(req.query);
    if (!csv) return void res.json(report);
    res.type('text/csv; charset=utf-8').attachment(`chi-so-766-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`)
      .send(reports.indicatorsCsv(report));
  });

  router.get('/reports/late', async (req, res) => {
    res.json(await reports.lateList(queryText(req, 'month')));
  });

  router.post('/reports/late', async (req, res) => {
    const officer = requireOfficer(req, 'ops');
    res.json(await reports.produceLateList(queryText(req, 'month') ?? req.body?.month, officer.username));
  });
  return router;
}
