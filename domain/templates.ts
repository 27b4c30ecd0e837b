/**
 * The notification templates the platform knows (handlebars, in Vietnamese, rendered by the
 * notification adapters). A `notify` step may name only these.
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
] as const;
