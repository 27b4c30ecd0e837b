import { isTerminal } from './status';

/**
 * The notification templates the platform knows (handlebars, in Vietnamese, under
 * `templates/notifications/<name>/`, rendered by the notification adapters). A `notify` step may
 * name only these.
 */
export const NOTIFICATION_TEMPLATES = [
  'accepted',
  'supplement-requested',
  'fee-due',
  'result-ready',
  'handoff-started',
  'apology',
  'step-due-soon',
  'returned',
  'refused',
  'stopped',
  'withdrawn',
] as const;

export type NotificationTemplate = (typeof NOTIFICATION_TEMPLATES)[number];

/** The dossier status each status template announces. */
export const STATUS_TEMPLATES = {
  accepted: 2,
  refused: 3,
  'supplement-requested': 5,
  'fee-due': 6,
  withdrawn: 7,
  stopped: 8,
  'result-ready': 9,
  returned: 10,
} as const satisfies Partial<Record<NotificationTemplate, number>>;

export type StatusTemplate = keyof typeof STATUS_TEMPLATES;

/**
 * The template telling the applicant about a status change, or undefined when the change does not
 * concern them: entering processing (4), or going back to where the dossier was once a supplement
 * or a payment arrived (the applicant did that themselves).
 */
export function statusTemplate(fromStatus: number | undefined, toStatus: number): StatusTemplate | undefined {
  if ((fromStatus === 5 || fromStatus === 6) && !isTerminal(toStatus)) return undefined;
  const found = (Object.entries(STATUS_TEMPLATES) as [StatusTemplate, number][]).find(([, status]) => status === toStatus);
  return found?.[0];
}
