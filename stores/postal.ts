import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export interface PostalRecipient {
  fullName: string;
  address: string;
  phone?: string;
}

export interface PostalTracking {
  orderId: string;
  state: 'accepted' | 'delivered';
  acceptedAt: string;
  deliveredAt?: string;
  receivedBy?: string;
}

/**
 * The public postal service (BCCI) as the platform sees it. `createOrder` is idempotent on its key: the
 * same key gives back the same order. The local implementation is the embedded default and the tests'.
 */
export interface PostalService {
  readonly name: string;
  createOrder(order: { idempotencyKey: string; dossierCode: string; recipient: PostalRecipient; items: string[] }):
    Promise<{ orderId: string; trackingNo: string; acceptedAt: string }>;
  track(orderId: string): Promise<PostalTracking | undefined>;
  /** Takes the carrier's proof of delivery (its callback); false when the service knows no such order. */
  confirmDelivery(orderId: string, proof: { deliveredAt: string; receivedBy?: string }): Promise<boolean>;
}

/** A post office kept in the platform's own database (`postal_parcels`), for the embedded default and tests. */
export function createLocalPostalService(db: Knex): PostalService {
  const view = (row: Record<string, any>): PostalTracking => ({
    orderId: row.id, state: row.delivered_at ? 'delivered' : 'accepted', acceptedAt: new Date(row.accepted_at).toISOString(),
    deliveredAt: row.delivered_at ? new Date(row.delivered_at).toISOString() : undefined, receivedBy: row.received_by ?? undefined,
  });
  return {
    name: 'local',
    async createOrder({ idempotencyKey, recipient, items }) {
      const id = `LP${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 12).toUpperCase()}`;
      await db('postal_parcels').insert({ id, idempotency_key: idempotencyKey, recipient: JSON.stringify(recipient),
        items: JSON.stringify(items) }).onConflict('idempotency_key').ignore();
      const row = await db('postal_parcels').where({ idempotency_key: idempotencyKey }).first();
      return { orderId: row.id, trackingNo: `${row.id}VN`, acceptedAt: new Date(row.accepted_at).toISOString() };
    },
    async track(orderId) {
      const row = await db('postal_parcels').where({ id: orderId }).first();
      return row ? view(row) : undefined;
    },
    async confirmDelivery(orderId, { deliveredAt, receivedBy }) {
      const row = await db('postal_parcels').where({ id: orderId }).first();
      if (!row) return false;
      await db('postal_parcels').where({ id: orderId }).whereNull('delivered_at').update({ delivered_at: deliveredAt, received_by: receivedBy ?? null });
      return true;
    },
  };
}

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase()
  .replace(/[^a-z0-9]+/g, ' ').trim();

/** Whether an address names the province (compared without diacritics, case or punctuation). */
export function isInProvince(address: string, provinceName: string): boolean {
  const province = fold(provinceName);
  return province.length > 0 && ` ${fold(address)} `.includes(` ${province} `);
}
