import type { SendOptions } from "../bots/index.ts";
import { RateLimitedError, TransientSendError } from "../lib/errors.ts";

/** How long a provider has to answer one send or batch, by default, in ms. */
export const SEND_TIMEOUT_MS = 30_000;

/**
 * After the timeout aborted a call, how long its own error is awaited: a channel that had not started the
 * request (a Telegram chat's turn still to come) says so, and a late answer still counts.
 */
const GRACE_MS = 1_000;

/** The provider took the call and did not answer in time: the message may or may not have gone out. */
export class SendTimeoutError extends TransientSendError {
  override name = "SendTimeoutError";
  constructor(channel: string, ms: number) {
    super(`${channel}: no answer within ${ms} ms; the message may have been sent`, { channel });
  }
}

type Settled<T> = { value: T } | { error: unknown };

const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

const after = <T>(ms: number, value: T) => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
};

/**
 * Calls a provider with a deadline. Past `ms` the call's signal is aborted and it throws
 * {@link SendTimeoutError} (transient, `notSent` false), unless within a short grace the call itself settles:
 * with an answer (kept), or with an error proving nothing was sent (`notSent`, a rate limit), rethrown as it
 * is. Whatever the call does after that is ignored.
 */
export async function withSendTimeout<T>(
  channel: string,
  ms: number,
  call: (options: SendOptions) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const answer = settle(call({ signal: controller.signal }));
  const deadline = after(ms, undefined);
  const first = await Promise.race([answer, deadline.promise]);
  deadline.cancel();
  const unwrap = (settled: Settled<T>): T => {
    if ("value" in settled) return settled.value;
    throw settled.error;
  };
  if (first !== undefined) return unwrap(first);
  const timeout = new SendTimeoutError(channel, ms);
  controller.abort(timeout);
  const grace = after(GRACE_MS, undefined);
  const late = await Promise.race([answer, grace.promise]);
  grace.cancel();
  if (late === undefined) throw timeout;
  if ("value" in late) return late.value;
  // after the abort, only an error that proves nothing left is the call's own; the rest is the abort's echo
  const proved =
    (late.error instanceof TransientSendError && late.error.notSent) ||
    late.error instanceof RateLimitedError;
  throw proved ? late.error : timeout;
}
