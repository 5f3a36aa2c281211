import fc from "fast-check";
import { bodyFor, contentType } from "./values.ts";

/** How a generated request is signed: correctly over its exact bytes (most), not at all, or wrongly. */
export type Signing = "signed" | "unsigned" | "wrong";

/** A generated request body with its content type, signing and client. */
export interface GeneratedRequest {
  kind: string;
  body: Buffer;
  contentType: string | undefined;
  signing: Signing;
  /** Picks the client address (rate limits count per address). */
  client: number;
}

/** Requests for an endpoint whose valid bodies look like `samples`. */
export function requestsFor(...samples: unknown[]): fc.Arbitrary<GeneratedRequest> {
  return fc
    .record({
      generated: fc.oneof(...samples.map((sample) => bodyFor(sample))),
      contentType,
      signing: fc.oneof(
        { weight: 8, arbitrary: fc.constant<Signing>("signed") },
        { weight: 1, arbitrary: fc.constant<Signing>("unsigned") },
        { weight: 1, arbitrary: fc.constant<Signing>("wrong") },
      ),
      client: fc.nat({ max: 1 << 24 }),
    })
    .map(({ generated, ...rest }) => ({ ...generated, ...rest }));
}

/** Whether a body parses as JSON (it was sent as JSON and may be judged by its fields). */
export function parsesAsJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}
