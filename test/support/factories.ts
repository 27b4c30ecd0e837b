import { randomInt } from 'node:crypto';

/** A birth registration submission for the sample procedure 1.001193, with overrides. */
export function birthRegistration(overrides: Record<string, unknown> = {}) {
  return {
    procedureCode: '1.001193',
    channel: 'online',
    applicant: { fullName: 'Nguyễn Văn An', idNumber: `0891${String(randomInt(1e8)).padStart(8, '0')}`, email: 'an@example.vn', phone: '0912345678' },
    application: sampleBirthApplication(),
    returnChannel: 'electronic',
    ...overrides,
  };
}

export function sampleBirthApplication() {
  return {
    child: { fullName: 'Nguyễn Minh Khang', gender: 'male', dateOfBirth: '2026-11-10', placeOfBirth: 'Bệnh viện Đa khoa tỉnh An Giang' },
    mother: { fullName: 'Trần Thị Bích', idNumber: '089190000123' },
    father: { fullName: 'Nguyễn Văn An', idNumber: '089188000456' },
  };
}
