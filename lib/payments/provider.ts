import { DateTime } from 'luxon';

/** What the platform asks a payment provider to collect: one fee of one dossier. */
export interface PaymentOrder {
  /** our payment request's id: the provider's idempotency key, so asking twice opens one payment */
  orderRef: string;
  dossierCode: string;
  feeCode: string;
  /** VND */
  amount: number;
  description: string;
}

export interface OpenedPayment {
  /** the provider's reference of the payment, carried by its callback */
  reference: string;
  /** where the applicant pays */
  paymentUrl: string;
}

/** One paid transaction on the provider's statement. */
export interface StatementLine {
  reference: string;
  transactionId: string;
  amount: number;
  /** ISO instant */
  paidAt: string;
}

/**
 * A payment provider (the national payment platform, a bank, or the local one of the embedded
 * default). Its paid callbacks arrive at `POST /api/payments/callback`, signed with HMAC-SHA256.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Opens (once per `orderRef`) a payment the applicant can pay online. */
  createPayment(order: PaymentOrder): Promise<OpenedPayment>;
  /** Every transaction paid on `date` (YYYY-MM-DD, Asia/Ho_Chi_Minh), as the provider records it. */
  statement(date: string): Promise<StatementLine[]>;
}

export const PAYMENT_ZONE = 'Asia/Ho_Chi_Minh';

/** The instants [from, to) of a calendar day in Vietnam. */
export function dayWindow(date: string): { from: string; to: string } {
  const start = DateTime.fromISO(date, { zone: PAYMENT_ZONE }).startOf('day');
  return { from: start.toUTC().toISO() as string, to: start.plus({ days: 1 }).toUTC().toISO() as string };
}

/** Whether `date` (YYYY-MM-DD) is a real calendar day. */
export function isDay(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && DateTime.fromISO(date, { zone: PAYMENT_ZONE }).isValid;
}

/** Today's date in Vietnam, or `offsetDays` from it. */
export function vietnamDay(at: Date = new Date(), offsetDays = 0): string {
  return DateTime.fromJSDate(at, { zone: PAYMENT_ZONE }).plus({ days: offsetDays }).toISODate() as string;
}
