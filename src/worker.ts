// Worker entry: hands ORT the precompiled wasm, then serves the Hono app over this isolate's bindings.
import type { ExportedHandler } from "@cloudflare/workers-types";
import type { Env } from "./platform/env";
import { installOrtWasm } from "./platform/ort-wasm";
import { createApp } from "./service/app";

installOrtWasm();
const app = createApp();

type Fetch = NonNullable<ExportedHandler<Env>["fetch"]>;
/** The repo type-checks against DOM Request/Response; workers-types names the same run-time objects differently. */
const fetch: Fetch = (request, env, ctx) => app.fetch(request as unknown as Request, env, ctx) as unknown as ReturnType<Fetch>;

export default { fetch } satisfies ExportedHandler<Env>;
