// What the heap scripts share: one zero-shot score of the bench image, and a DevTools session on the front Worker
// isolate with its runtime and heap profiler enabled (through workerd's own inspector).
import type { BenchInputs } from "./bench-inputs";
import { type Connection, connectDevtools } from "./isolate-memory";
import type { RunningService } from "./service-process";
import { findWorkerTargets } from "./worker-isolates";

/** One sequential zero-shot score; throws unless it answers 200. */
export async function scoreOnce(service: RunningService, inputs: BenchInputs): Promise<void> {
  const form = new FormData();
  form.set("object", inputs.object);
  form.set("image", new File([new Uint8Array(inputs.image)], "query.png", { type: "image/png" }));
  const response = await fetch(`${service.baseUrl}/v1/score`, { method: "POST", headers: { authorization: `Bearer ${service.apiKey}` }, body: form });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
}

/** workerd now and then closes a freshly opened session (see worker-isolates.ts): reopen until one stays open. */
export async function openFrontHeapSession(pgid: number): Promise<Connection> {
  const { workers } = await findWorkerTargets(pgid);
  const front = workers.sort((a, b) => a.name.length - b.name.length)[0]!;
  for (let attempt = 1; ; attempt++) {
    const c = await connectDevtools(front.url, 60_000);
    try {
      await c.call("Runtime.enable");
      await new Promise((r) => setTimeout(r, 1_000));
      await c.call("HeapProfiler.enable");
      return c;
    } catch (e) {
      c.socket.close();
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
