// The HTTP API (Hono): key check on /v1, the routes with their body limit; every error is {"error":{"code","message"}}.
import { Hono, type MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Limits } from "../usecases/limits";
import type { AppEnv } from "./app-env";
import type { AppServices } from "./app-services";
import { requireApiKey } from "./auth";
import { ApiError, errorBody, toApiError } from "./errors";
import { honoPath, type Route } from "./openapi/route";
import { AdmissionQueue } from "./admission";
import { cancelQuietly, drainBody } from "./body-reader";
import { admissionLimits, bodyReadLimits } from "./http-limits";
import { admitAndReadBody } from "./request";
import { demoPage } from "./routes/demo-page";
import { apiRoutes } from "./routes/index";

export interface AppOptions {
  /** The use cases over one request's bindings (Hono's `c.env`): the entry point's composition root. */
  services(bindings: unknown): AppServices;
  /** Routes with an OpenAPI description (src/service/routes/index.ts). */
  routes?: readonly Route[];
  /** Further Hono apps mounted at "/": every /v1 path they serve is behind the key check too. */
  mounts?: readonly Hono<AppEnv>[];
  /** The isolate's model queue, when other entry points share it (default: one queue of this app's own). */
  admission?: (limits: Limits) => AdmissionQueue;
}

export function createApp(options: AppOptions): Hono<AppEnv> {
  const routes = options.routes ?? apiRoutes;
  const app = new Hono<AppEnv>();

  // A body nobody read (an early answer: 401, 404, 503 overloaded, ...) is read to its end, within the body limits,
  // before the answer leaves; one that does not arrive within them is cancelled (see drainBody).
  app.use("*", async function drainUnreadBody(c, next) {
    const original = c.req.raw;
    try {
      await next();
    } finally {
      // A body already read (or cancelled by a failed read) needs nothing more: no reader, read or timer for it.
      if (!original.bodyUsed) {
        const services = c.get("services");
        if (services) await drainBody(original.body, bodyReadLimits(services.limits));
        else cancelQuietly(original.body, "unread");
      }
    }
  });

  app.use(async function provideServices(c, next) {
    c.set("services", options.services(c.env));
    await next();
  });

  // Every /v1 path needs a key except the routes documented as public (health): also unknown /v1 paths, so that
  // nothing about the API's shape is visible without a key. Auth runs before any body is read.
  const publicPaths = new Set(routes.filter((r) => !r.spec.auth).map((r) => honoPath(r.spec.path)));
  const auth = requireApiKey();
  app.use("/v1/*", async function keyCheck(c, next) {
    if (publicPaths.has(c.req.path)) return next();
    return auth(c, next);
  });

  // One admission queue per app unless the composition root shares the isolate's, sized from the first request's limits.
  let ownAdmission: AdmissionQueue | undefined;
  const admissionQueue =
    options.admission ??
    ((limits: Limits) => {
      ownAdmission ??= new AdmissionQueue(admissionLimits(limits));
      return ownAdmission;
    });
  const readBody = admitAndReadBody();
  const admitThenReadBody = admitAndReadBody(admissionQueue);
  for (const route of routes) {
    const method = route.spec.method.toUpperCase();
    const path = honoPath(route.spec.path);
    // Handlers of one method and path run in registration order: admission and the body read, then the route.
    const chain: MiddlewareHandler<AppEnv>[] = route.spec.admission ? [admitThenReadBody] : route.spec.body ? [readBody] : [];
    for (const middleware of chain) app.on(method, path, middleware);
    app.on(method, path, (c) => route.handle(c));
  }
  for (const mount of options.mounts ?? []) app.route("/", mount);
  app.route("/", demoPage());

  app.notFound(() => {
    throw new ApiError(404, "not_found", "no such route");
  });

  app.onError((e, c) => {
    const error = toApiError(e);
    if (error.status >= 500 && error.code !== "overloaded")
      console.error(`${c.req.method} ${c.req.path}: ${error.code}: ${error.message}`, error === e ? "" : e);
    // RFC 6750 section 3: a 401 names the scheme it wants.
    if (error.status === 401) c.header("WWW-Authenticate", 'Bearer realm="edge-anomaly"');
    if (error.code === "overloaded") c.header("Retry-After", String(error.details.retryAfterSeconds ?? 1));
    return c.json(errorBody(error), error.status as ContentfulStatusCode);
  });

  return app;
}
