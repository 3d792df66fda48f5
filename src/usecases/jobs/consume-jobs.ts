// The job queue's consumer: messages one at a time (scoring is CPU-bound), each acked or retried on its own.
import type { MessageBatch } from "@cloudflare/workers-types";
import { backoffSeconds } from "./backoff";
import { jobMessage, type JobMessage } from "./job";
import { deadLetterJob, processJob, type JobDeps, type MessageAction } from "./process-job";

/** Handles a batch of the job queue, or of its dead-letter queue when `batch.queue` is `deadLetterQueue`. */
export async function consumeJobs(batch: MessageBatch<JobMessage>, deps: JobDeps, deadLetterQueue: string): Promise<void> {
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
