/**
 * Dossier code rules, chosen by the date the dossier is received, so a new legal format plugs in as a
 * new entry without touching the workflow. A code, once issued, is never reused: the sequence lives
 * in PostgreSQL and only ever grows.
 */
export interface DossierCodeRule {
  id: string;
  /** first reception day (YYYY-MM-DD, local) this rule applies to */
  effectiveFrom: string;
  /** the key the sequence counts under (one counter per agency per day for TT 01/2018) */
  sequenceKey(agencyNationalCode: string, localDate: string): string;
  format(agencyNationalCode: string, localDate: string, sequence: number): string;
  pattern: RegExp;
}

/** TT 01/2018: `<agency code>-<YYMMDD>-<NNNN>`, e.g. `000.00.31.H01-240315-0007`. */
export const TT01_2018: DossierCodeRule = {
  id: 'TT01/2018',
  effectiveFrom: '2018-01-01',
  sequenceKey: (agency, date) => `${agency}|${date}`,
  format(agency, date, sequence) {
    if (sequence > 9999) throw new RangeError(`more than 9999 dossiers on ${date} at ${agency}`);
    return `${agency}-${date.slice(2, 4)}${date.slice(5, 7)}${date.slice(8, 10)}-${String(sequence).padStart(4, '0')}`;
  },
  pattern: /^[0-9A-Z.]+-\d{6}-\d{4}$/,
};

const RULES: DossierCodeRule[] = [TT01_2018];

/** The rule in force on a local date (YYYY-MM-DD). */
export function codeRuleFor(localDate: string, rules: DossierCodeRule[] = RULES): DossierCodeRule {
  const rule = [...rules].sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom))
    .find((r) => r.effectiveFrom <= localDate);
  if (!rule) throw new RangeError(`no dossier code rule in force on ${localDate}`);
  return rule;
}

/** Whether a string looks like a dossier code under any rule (for early 404s, never for trust). */
export function looksLikeDossierCode(code: string, rules: DossierCodeRule[] = RULES): boolean {
  return code.length <= 64 && rules.some((r) => r.pattern.test(code));
}
