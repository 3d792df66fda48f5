// The slice of "cloudflare:test" the job-queue tests use: building a message batch and reading its ack/retry outcome.
declare module "cloudflare:test" {
  type MessageBatch<Body> = import("@cloudflare/workers-types").MessageBatch<Body>;
  type ExecutionContext = import("@cloudflare/workers-types").ExecutionContext;
  interface QueueMessageInit<Body> {
    id: string;
    timestamp: Date;
    attempts: number;
    body: Body;
  }
  export interface QueueResult {
    outcome: string;
    ackAll: boolean;
    retryBatch: { retry: boolean; delaySeconds?: number };
    explicitAcks: string[];
    retryMessages: { msgId: string; delaySeconds?: number }[];
  }
  export function createMessageBatch<Body>(queueName: string, messages: QueueMessageInit<Body>[]): MessageBatch<Body>;
  export function createExecutionContext(): ExecutionContext;
  export function getQueueResult(batch: MessageBatch<unknown>, ctx: ExecutionContext): Promise<QueueResult>;
}
