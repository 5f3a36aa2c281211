import type { FastifyInstance, FastifyRequest } from "fastify";
import { shortHash } from "../../lib/ids.ts";

/** Sign-in attempts allowed per window for one address from one IP. */
export const ATTEMPTS_PER_EMAIL = 5;
/** Sign-in attempts allowed per window from one IP, whatever the address. */
export const ATTEMPTS_PER_IP = 20;
/** The window: 15 minutes. */
export const ATTEMPT_WINDOW_MS = 15 * 60_000;

/** Whether a sign-in attempt may go ahead. */
export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts a sign-in attempt (the address is the body's `email`); see {@link createLoginLimiter}. */
export type LoginLimiter = (request: FastifyRequest) => Promise<AttemptVerdict>;

/**
 * Counts every sign-in attempt, successful or not (counting first makes a burst of parallel guesses count
 * too), against two limits: {@link ATTEMPTS_PER_EMAIL} per IP and address, {@link ATTEMPTS_PER_IP} per IP,
 * each per 15 minutes. The counters live where `@fastify/rate-limit` was registered on `scope` with: Redis
 * (shared by every process) or this process's memory. The address is hashed in the key.
 */
export function createLoginLimiter(scope: FastifyInstance): LoginLimiter {
  const perIp = scope.createRateLimit({
    max: ATTEMPTS_PER_IP,
    timeWindow: ATTEMPT_WINDOW_MS,
    keyGenerator: (request) => `login-ip:${request.ip}`,
  });
  const perEmail = scope.createRateLimit({
    max: ATTEMPTS_PER_EMAIL,
    timeWindow: ATTEMPT_WINDOW_MS,
    keyGenerator: (request) => {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      return `login-email:${request.ip}:${shortHash(
        String(email ?? "")
          .trim()
          .toLowerCase(),
        24,
      )}`;
    },
  });
  return async (request) => {
    const verdicts = [await perIp(request), await perEmail(request)];
    const exceeded = verdicts.filter((v) => !v.isAllowed && v.isExceeded);
    if (exceeded.length === 0) return { allowed: true };
    const retryAfterSeconds = Math.max(...exceeded.map((v) => (v.isAllowed ? 0 : v.ttlInSeconds)), 1);
    return { allowed: false, retryAfterSeconds };
  };
}
