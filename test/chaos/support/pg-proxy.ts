import { createServer, Socket } from "node:net";

/** A TCP proxy between Rapport's processes and PostgreSQL, whose link the test can cut. */
export interface PgProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  readonly url: string;
  /** Connections accepted so far, and how many were refused while cut. */
  readonly stats: { accepted: number; refused: number };
  /**
   * PostgreSQL becomes unreachable: every open connection is destroyed (both sides), and new ones are
   * closed as soon as they arrive, until {@link heal}.
   */
  cut(): void;
  /** Accept and forward connections again. */
  heal(): void;
  close(): Promise<void>;
}

/**
 * Starts a `node:net` proxy on a free port of 127.0.0.1 forwarding to the server of `databaseUrl`: the
 * machine's PostgreSQL itself is never stopped, so other test runs on it go on undisturbed.
 */
export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  const targetHost = target.hostname;
  const targetPort = Number(target.port || 5432);
  const open = new Set<Socket>();
  const stats = { accepted: 0, refused: 0 };
  let isCut = false;

  const server = createServer((client) => {
    if (isCut) {
      stats.refused += 1;
      client.destroy();
      return;
    }
    stats.accepted += 1;
    const upstream = new Socket();
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    upstream.connect(targetPort, targetHost, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);

  return {
    port: address.port,
    url: url.toString(),
    stats,
    cut() {
      isCut = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    heal() {
      isCut = false;
    },
    async close() {
      isCut = true;
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
