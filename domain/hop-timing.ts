/**
 * Whether an inter-agency hop came back early, on time or late (form 05's last column). Pure: the
 * interpreter and the API share it.
 */
export type HopTiming = 'early' | 'on-time' | 'late';

/** Vietnam keeps UTC+7 all year. */
const VIETNAM_OFFSET_MS = 7 * 3600_000;
const DAY_MS = 86_400_000;

const dayOf = (instant: string) => Math.floor((Date.parse(instant) + VIETNAM_OFFSET_MS) / DAY_MS);

/**
 * `late` after the due instant; `early` when back on a day (in Vietnam) before the due day; `on-time`
 * otherwise, and when the hop had no deadline.
 */
export function hopTiming(returnedAt: string, dueAt?: string | null): HopTiming {
  if (!dueAt) return 'on-time';
  if (Date.parse(returnedAt) > Date.parse(dueAt)) return 'late';
  return dayOf(returnedAt) < dayOf(dueAt) ? 'early' : 'on-time';
}
