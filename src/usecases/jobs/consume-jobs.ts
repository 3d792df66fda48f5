// The job queue's consumer: messages one at a time (scoring is CPU-bound), each acked or retried on its own.
import { backoffSeconds } from "./backoff";
import { jobMessage, type JobMessage } from "./job";
import { deadLetterJob, processJob, type JobDeps, type MessageAction } from "./process-job";

/** The part of a queue batch the consumer uses (Cloudflare's MessageBatch has this shape). */
export interface JobBatch {
  queue: string;
  messages: readonly {
    id: string;
    /** Unchecked: checked against the job message schema here. */
    body: JobMessage;
    attempts: number;
    ack(): void;
    retry(options: { delaySeconds: number }): void;
  }[];
}

/** Handles a batch of the job queue, or of its dead-letter queue when `batch.queue` is `deadLetterQueue`. */
export async function consumeJobs(batch: JobBatch, deps: JobDeps, deadLetterQueue: string): Promise<void> {
  const handle = batch.queue === deadLetterQueue ? deadLetterJob : processJob;
  for (const message of batch.messages) {
    if (!jobMessage.safeParse(message.body).success) {
      console.error(`queue ${batch.queue}: message ${message.id} is not a job message: dropped`);
      message.ack();
      continue;
    }
    let action: MessageAction;
    try {
      action = await handle(message, deps);
    } catch (e) {
      // Storage or an unexpected bug: retried like a failed delivery, and dead-lettered in the end.
      console.error(`queue ${batch.queue}: message ${message.id} (job ${message.body.jobId}): ${(e as Error).stack ?? e}`);
      action = { kind: "retry", delaySeconds: backoffSeconds(message.attempts, deps.backoffBaseSeconds) };
    }
    if (action.kind === "ack") message.ack();
    else message.retry({ delaySeconds: action.delaySeconds });
  }
}
