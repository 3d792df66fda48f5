// GET /v1/webhook-secret: the tenant's Standard Webhooks signing secret, created on first use.
import { defineRoute } from "../openapi/route";
import { webhookSecretSchema } from "../schemas/jobs";

export const webhookSecretRoute = defineRoute(
  {
    method: "get",
    path: "/v1/webhook-secret",
    operationId: "getWebhookSecret",
    summary: "Your webhook signing secret (created on first use)",
    description: "Verify each delivery: base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{raw body}` keyed by the decoded secret.",
    tags: ["jobs"],
    auth: true,
    responses: { 200: { description: "The secret", schema: webhookSecretSchema } },
    errors: [503],
  },
  async (c) => {
    const secret = await c.var.services.webhookSecret(c.get("tenant"));
    c.header("cache-control", "no-store");
    return c.json({ secret, scheme: "standard-webhooks" as const });
  },
);
