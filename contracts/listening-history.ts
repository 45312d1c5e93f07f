// What the syncListeningHistory workflow takes and reports: one person's history read from the media server.

export interface SyncListeningHistoryInput {
  /** users.id of the person. */
  userId: string;
}

export interface SyncListeningHistoryResult {
  userId: string;
  /** Tracks the server reported played or favourite. */
  read: number;
  /** Of those, stored (tracks we know). */
  stored: number;
  /** Of those, not in our library (never analysed, or gone). */
  unknown: number;
  /** Rows of an earlier sync the server no longer reports. */
  removed: number;
}
