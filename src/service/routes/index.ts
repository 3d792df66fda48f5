// Every API route, in the order the OpenAPI document lists them; the app mounts exactly these.
import type { Route } from "../openapi/route";
import { healthRoute } from "./health";
import { jobRoutes } from "./jobs";
import { openApiRoute } from "./openapi";
import { referenceSetRoutes } from "./reference-sets";
import { scoreRoute } from "./score";
import { webhookSecretRoute } from "./webhook-secret";

export const apiRoutes: readonly Route[] = [healthRoute, scoreRoute, ...referenceSetRoutes, ...jobRoutes, webhookSecretRoute, openApiRoute(() => apiRoutes)];
