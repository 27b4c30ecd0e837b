/** Dossier statuses (DOMAIN.md). The number is what the national portal and the forms use. */
export const DossierStatus = {
  Submitted: 1,
  Accepted: 2,
  Refused: 3,
  Processing: 4,
  SupplementRequested: 5,
  PaymentRequested: 6,
  Withdrawn: 7,
  Stopped: 8,
  Processed: 9,
  Returned: 10,
} as const;

export type DossierStatusCode = (typeof DossierStatus)[keyof typeof DossierStatus];

export const STATUS_LABELS: Record<DossierStatusCode, string> = {
  1: 'Mới đăng ký',
  2: 'Được tiếp nhận',
  3: 'Không được tiếp nhận',
  4: 'Đang xử lý',
  5: 'Yêu cầu bổ sung giấy tờ',
  6: 'Yêu cầu thực hiện nghĩa vụ tài chính',
  7: 'Công dân yêu cầu rút hồ sơ',
  8: 'Dừng xử lý',
  9: 'Đã xử lý xong',
  10: 'Đã trả kết quả',
};

export const TERMINAL_STATUSES: readonly DossierStatusCode[] = [3, 7, 8, 10];

export function isTerminal(status: number): boolean {
  return (TERMINAL_STATUSES as readonly number[]).includes(status);
}
