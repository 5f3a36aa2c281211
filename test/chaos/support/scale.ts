/**
 * The suite's size when CHAOS_SCALE is unset: the 10 000 messages. A scenario is CPU-bound on the 2-core
 * CI machine (measured: 4 CPU-seconds per worker start, a few ms of worker CPU per message, plus PostgreSQL and
 * the fakes): 10 000 messages took 34–56 s a scenario on an idle machine, and up to 114 s at load 13.
 * CHAOS_SCALE=0.3 runs a 3 000-message suite for a quick look.
 */
export const DEFAULT_SCALE = 1;

/**
 * The audience of every scenario: most of it by email (batches of 100), a Telegram share sized to the engine's
 * 25 messages/s. CHAOS_SCALE (e.g. 0.3) changes the size: {@link DEFAULT_SCALE} unless set; 1 is the issue's
 * 10 000 messages.
 */
export const SCALE = Number(process.env.CHAOS_SCALE ?? DEFAULT_SCALE);
export const AUDIENCE = {
  email: Math.round(9_500 * SCALE),
  telegram: Math.round(500 * SCALE),
} as const;

/** Total messages of a scenario. */
export const TOTAL = AUDIENCE.email + AUDIENCE.telegram;
