// The Hono environment of every route: the worker's bindings and what the auth middleware puts on the context.
import type { Env } from "../platform/env";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** The tenant the request's API key belongs to; set by the auth middleware on every /v1 route but health. */
    tenant: string;
  };
}
