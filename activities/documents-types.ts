/**
 * Activities of digitization and return of results, beside the core contract in `types.ts`. Workflows
 * import these types only (`import type`); `createDocumentActivities(deps)` implements them.
 */

export interface PostalOrder {
  /** the postal service's order id, the one its delivery report names */
  orderId: string;
  trackingNo: string;
  /** when the post accepted the order (the result left the agency) */
  createdAt: string;
  /** whether the address is inside the province, where delivery is due within POSTAL_DUE_HOURS */
  inProvince: boolean;
  dueAt?: string;
}

export interface DocumentActivities {
  /** Pushes the dossier's results into the applicant's electronic data store, once each; returns their codes. */
  pushResultsToDataStore(input: { dossierCode: string }): Promise<{ results: string[] }>;
  /**
   * Orders the postal delivery of the result to the applicant's address, once per dossier, step and
   * iteration (the idempotency key given to the postal service). Fails with PostalAddressMissingError
   * when the applicant gave no address.
   */
  createPostalOrder(input: { dossierCode: string; stepId: string; iteration: number; dueWithinMs: number }): Promise<PostalOrder>;
  /** Marks a postal delivery as late, on the order and on the dossier. */
  flagLateDelivery(input: { dossierCode: string; orderId: string }): Promise<void>;
}
