// The shape of the health answer, shared by lib/health.ts (which computes it), GET /api/health and the page
// (web/ui, compiled for the browser): no imports, so that both sides can use it.

export interface PartHealth {
  ok: boolean;
  error?: string;
  [detail: string]: unknown;
}

export interface Health {
  ok: boolean;
  postgres: PartHealth;
  temporal: PartHealth;
  worker: PartHealth;
  roundTrip?: PartHealth;
  /** The configured media source. Informational: `ok` covers only what the system needs to run. */
  mediaServer?: PartHealth;
  checkedAt: string;
}

/** GET /api/health: the health plus the Temporal UI link the web server is configured with. */
export interface HealthAnswer extends Health {
  temporalUi?: string;
}
