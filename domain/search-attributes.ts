import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The platform's Temporal search attributes: what ops filter dossiers by in the Temporal UI and CLI.
 * No personal data goes here. Never rename one: running dossiers and saved UI queries use the names.
 */
export const SA = {
  dossierCode: defineSearchAttributeKey('DossierCode', SearchAttributeType.KEYWORD),
  procedureCode: defineSearchAttributeKey('ProcedureCode', SearchAttributeType.KEYWORD),
  procedureVersion: defineSearchAttributeKey('ProcedureVersion', SearchAttributeType.INT),
  agency: defineSearchAttributeKey('AgencyCode', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('DossierStatus', SearchAttributeType.KEYWORD),
  currentStep: defineSearchAttributeKey('CurrentStep', SearchAttributeType.KEYWORD),
  appointmentAt: defineSearchAttributeKey('AppointmentAt', SearchAttributeType.DATETIME),
  overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
  /** a step failed for good: the dossier waits for ops to repair (retry) or cancel it */
  needsAttention: defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL),
} as const;

/** Name → type as the Temporal CLI's `--search-attribute` and the operator service spell them. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = {
  DossierCode: 'Keyword',
  ProcedureCode: 'Keyword',
  ProcedureVersion: 'Int',
  AgencyCode: 'Keyword',
  DossierStatus: 'Keyword',
  CurrentStep: 'Keyword',
  AppointmentAt: 'Datetime',
  Overdue: 'Bool',
  NeedsAttention: 'Bool',
};
