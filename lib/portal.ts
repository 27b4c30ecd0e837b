/** The national public-service portal adapter: one status change per call, deduplicated by the receiver key. */
import { PermanentDeliveryError } from './outbox';

/** One status change as the portal receives it. */
export interface PortalStatusChange {
  /** `<dossier code>:<sequence>`: the portal keeps one change per key */
  receiverKey: string;
  dossierCode: string;
  /** 1, 2, 3… per dossier, in the order the changes happened */
  sequence: number;
  status: number;
  statusLabel: string;
  previousStatus: number | null;
  at: string;
  reason: string | null;
  procedureCode: string;
  /** the receiving agency's national code */
  agencyCode: string;
  appointmentAt: string | null;
}

export interface PortalAdapter {
  /** Resolves once the portal acknowledged the change; throws PermanentDeliveryError when it refuses it for good. */
  deliver(change: PortalStatusChange): Promise<void>;
}

/**
 * POSTs each change as JSON to `url`; the body's `receiverKey` is the portal's deduplication key. A 2xx answer is the
 * acknowledgement; 408, 425, 429, 5xx and network errors are worth retrying; any other answer is final.
 */
export function createHttpPortal({ url, token, timeoutMs = 10_000 }: { url: string; token?: string; timeoutMs?: number }): PortalAdapter {
  return {
    async deliver(change) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(change),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) return;
      const body = (await res.text().catch(() => '')).slice(0, 300);
      const message = `the portal answered ${res.status}${body ? `: ${body}` : ''}`;
      if ([408, 425, 429].includes(res.status) || res.status >= 500) throw new Error(message);
      throw new PermanentDeliveryError(message);
    },
  };
}
