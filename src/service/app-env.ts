// The Hono environment of every route: what the app's first middleware and the auth middleware put on the context.
import type { AppServices } from "./app-services";

export interface AppEnv {
  Variables: {
    /** The use cases over this request's bindings (src/composition/fetch.ts builds them). */
    services: AppServices;
    /** The tenant the request's API key belongs to; set by the auth middleware on every /v1 route but health. */
    tenant: string;
    /** The request body, read whole by the body routes' middleware (a pooled buffer, released after the route). */
    body: Uint8Array;
  };
}
