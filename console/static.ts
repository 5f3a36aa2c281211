import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { shortHash } from "../lib/ids.ts";

const ASSETS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "assets");

const TYPES: Readonly<Record<string, string>> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

interface Asset {
  body: Buffer;
  type: string;
  version: string;
}

let loaded: ReadonlyMap<string, Asset> | undefined;

/** Every file of console/assets/, read once, with a content hash as its version. */
function assets(): ReadonlyMap<string, Asset> {
  loaded ??= new Map(
    readdirSync(ASSETS_DIR)
      .filter((name) => TYPES[path.extname(name)])
      .map((name) => {
        const body = readFileSync(path.join(ASSETS_DIR, name));
        return [
          name,
          { body, type: TYPES[path.extname(name)]!, version: shortHash(body.toString("latin1"), 12) },
        ];
      }),
  );
  return loaded;
}

/**
 * The URL of a file of console/assets/ with its content hash: `/console/assets/console.css?v=1a2b3c4d5e6f`.
 * A changed file gets a new URL, so the old one can be cached for good.
 */
export function assetUrl(name: string): string {
  const asset = assets().get(name);
  if (!asset) throw new Error(`no console asset "${name}" in console/assets/`);
  return `/console/assets/${name}?v=${asset.version}`;
}

/**
 * `GET /console/assets/<file>`: the files of console/assets/ (css, js, images), public. The versioned URL
 * from {@link assetUrl} is cached for a year; any other for a few minutes, then revalidated by ETag.
 */
export function registerAssets(scope: FastifyInstance): void {
  scope.get<{ Params: { name: string }; Querystring: { v?: string } }>(
    "/assets/:name",
    { config: { consoleStatic: true } },
    async (request, reply) => {
      const asset = assets().get(request.params.name);
      if (!asset) return reply.status(404).type("text/plain; charset=utf-8").send("not found");
      const etag = `"${asset.version}"`;
      void reply
        .header("content-type", asset.type)
        .header("etag", etag)
        .header(
          "cache-control",
          request.query.v === asset.version ? "public, max-age=31536000, immutable" : "public, max-age=300",
        );
      if (request.headers["if-none-match"] === etag) return reply.status(304).send();
      return reply.send(asset.body);
    },
  );
}
