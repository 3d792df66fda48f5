// A model bundle read from R2: the bundle's files are objects under models/<name>/.
import type { R2Bucket } from "@cloudflare/workers-types";
import type { BundleReader } from "../engine/runtime/model-bundle";

export function bundlePrefix(modelName: string): string {
  return `models/${modelName}/`;
}

export function r2BundleReader(bucket: R2Bucket, modelName: string): BundleReader {
  const prefix = bundlePrefix(modelName);
  return {
    // Every read fills a new ArrayBuffer of its own: the bundle detaches a stage's weights once ORT has copied them.
    freshBuffers: true,
    async read(path: string): Promise<Uint8Array> {
      const object = await bucket.get(prefix + path);
      if (!object) throw new Error(`R2 object ${prefix + path} does not exist`);
      return readBody(object.body as unknown as ReadableStream<Uint8Array>, object.size, prefix + path);
    },
    async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
      const object = await bucket.get(prefix + path, { range: { offset, length } });
      if (!object) throw new Error(`R2 object ${prefix + path} does not exist`);
      if (offset + length > object.size) throw new Error(`R2 object ${prefix + path} has ${object.size} bytes, bytes ${offset}+${length} were asked for`);
      return readBody(object.body as unknown as ReadableStream<Uint8Array>, length, `${prefix + path} (bytes ${offset}+${length})`);
    },
  };
}

/**
 * The body, read with a BYOB reader into one buffer this isolate allocates (no chunk copies left for the collector),
 * which the bundle may detach. Detaching the buffer `arrayBuffer()` returns for an R2 object instead was followed by
 * wrangler dev exiting after the first score in a hand run; later runs showed that exit without any detaching too
 * (README, "Per-isolate memory"), so it is not known to be the cause: this reader avoids the question.
 */
async function readBody(body: ReadableStream<Uint8Array>, size: number, name: string): Promise<Uint8Array> {
  let buffer = new ArrayBuffer(size);
  let offset = 0;
  const reader = body.getReader({ mode: "byob" });
  try {
    while (offset < size) {
      const { done, value } = await reader.read(new Uint8Array(buffer, offset, size - offset));
      if (done || !value) break;
      buffer = value.buffer as ArrayBuffer;
      offset += value.byteLength;
    }
    if (offset !== size) throw new Error(`R2 object ${name}: read ${offset} of ${size} bytes`);
    const { done } = await reader.read(new Uint8Array(1));
    if (!done) throw new Error(`R2 object ${name} is longer than its size ${size}`);
  } finally {
    reader.releaseLock();
  }
  return new Uint8Array(buffer, 0, size);
}
