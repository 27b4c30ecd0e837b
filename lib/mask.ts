/**
 * Enough of an email address or phone number for ops to recognise it, not enough to read it off a
 * screen or a log: personal data stays out of logs and ops views.
 */
export function maskAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  const at = address.indexOf('@');
  if (at > 0) return `${address.slice(0, Math.min(2, at))}***${address.slice(at)}`;
  return address.length > 6 ? `${address.slice(0, 3)}****${address.slice(-3)}` : '****';
}
