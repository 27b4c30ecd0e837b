/**
 * Benchmark: the business calendar's arithmetic, which every appointment date, step deadline and
 * supplement pause goes through (one activity call each). Times N repetitions of typical and long
 * operations on the default calendar with a year's holiday table pre-filled from the holiday library.
 *
 *   npm run bench:calendar [-- N]
 */
import { performance } from 'node:perf_hooks';
import { addDuration, DEFAULT_CALENDAR, workingTimeBetween, type CalendarConfig } from '../domain/calendar';
import { prefillYear } from '../domain/holidays-vn';

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const fmt = (v: number) => (v < 1 ? `${(v * 1000).toFixed(1)} µs` : `${v.toFixed(2)} ms`);
  return { p50: fmt(at(0.5)), p95: fmt(at(0.95)), max: fmt(sorted[sorted.length - 1]) };
}

function time(n: number, body: () => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    body();
    out.push(performance.now() - started);
  }
  return out;
}

function main() {
  const n = Number(process.argv[2] ?? 1000);
  const years = [2026, 2027].map((y) => prefillYear(y));
  const calendar: CalendarConfig = {
    ...DEFAULT_CALENDAR,
    daysOff: years.flatMap((y) => y.daysOff.map((d) => d.date)),
    workingDays: years.flatMap((y) => y.workingDays.map((d) => d.date)),
  };
  const from = '2026-11-23T09:15:00.000+07:00';
  const rows: [string, number[]][] = [
    ['appointment: 3 working days', time(n, () => addDuration(calendar, from, { workingDays: 3 }))],
    ['appointment: 15 working days', time(n, () => addDuration(calendar, from, { workingDays: 15 }))],
    ['a year of working days (252)', time(Math.max(10, n / 10), () => addDuration(calendar, from, { workingDays: 252 }))],
    ['paused working time over a month', time(n, () => workingTimeBetween(calendar, from, '2026-12-23T10:00:00.000+07:00'))],
    ['working time over a decade', time(Math.max(10, n / 10), () => workingTimeBetween(DEFAULT_CALENDAR, from, '2036-11-23T09:15:00.000+07:00'))],
  ];
  console.log(`| operation (${n} runs; long spans ${Math.max(10, n / 10)}) | p50 | p95 | max |\n|---|---|---|---|`);
  for (const [name, ms] of rows) {
    const s = stats(ms);
    console.log(`| ${name} | ${s.p50} | ${s.p95} | ${s.max} |`);
  }
  const mb = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
  console.log(`\nheap used after the run: ${mb} MiB`);
}

main();
