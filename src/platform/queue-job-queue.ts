// JobQueue on a Cloudflare Queue producer binding: JSON message bodies.
import type { Queue } from "@cloudflare/workers-types";
import type { JobMessage } from "../usecases/jobs/job";
import type { JobQueue } from "../usecases/jobs/job-store";

export function queueJobQueue(queue: Queue<JobMessage>): JobQueue {
  return {
    async send(message) {
      await queue.send(message, { contentType: "json" });
    },
  };
}
