import { codeRuleFor, looksLikeDossierCode, TT01_2018, type DossierCodeRule } from '../../domain/dossier-code';

describe('TT 01/2018 dossier codes', () => {
  test.each([
    ['000.00.31.H01', '2024-03-15', 7, '000.00.31.H01-240315-0007'],
    ['000.31.31.H01', '2026-11-22', 1, '000.31.31.H01-261122-0001'],
    ['000.31.31.H01', '2026-01-01', 9999, '000.31.31.H01-260101-9999'],
  ])('%s on %s, #%d → %s', (agency, date, seq, expected) => {
    expect(TT01_2018.format(agency, date, seq)).toBe(expected);
    expect(looksLikeDossierCode(expected)).toBe(true);
  });

  test('the sequence counts per agency per day', () => {
    expect(TT01_2018.sequenceKey('A', '2026-11-22')).not.toBe(TT01_2018.sequenceKey('A', '2026-11-23'));
    expect(TT01_2018.sequenceKey('A', '2026-11-22')).not.toBe(TT01_2018.sequenceKey('B', '2026-11-22'));
  });

  test('a 10 000th dossier in a day is refused rather than given a longer code', () => {
    expect(() => TT01_2018.format('A', '2026-11-22', 10000)).toThrow(RangeError);
  });

  test('malformed codes are told apart', () => {
    for (const bad of ['', 'abc', '000.31.31.H01-2611-0001', "x' OR 1=1 --", '000.31.31.H01-261122-00011']) {
      expect(looksLikeDossierCode(bad)).toBe(false);
    }
  });
});

describe('choosing the rule by reception date', () => {
  const next: DossierCodeRule = { ...TT01_2018, id: 'NEXT', effectiveFrom: '2027-07-01', format: () => 'NEXT' };
  test('the rule in force on the day is used, and an older day keeps the older rule', () => {
    expect(codeRuleFor('2027-06-30', [TT01_2018, next]).id).toBe('TT01/2018');
    expect(codeRuleFor('2027-07-01', [TT01_2018, next]).id).toBe('NEXT');
    expect(codeRuleFor('2026-11-22').id).toBe('TT01/2018');
  });
  test('a day before every rule is an error', () => {
    expect(() => codeRuleFor('2017-12-31')).toThrow(/no dossier code rule/);
  });
});
