// A model bundle read from R2: the bundle's files are objects under models/<name>/.
import type { R2Bucket } from "@cloudflare/workers-types";
import type { BundleReader } from "../engine/runtime/model-bundle";

export function bundlePrefix(modelName: string): string {
  return `models/${modelName}/`;
}

export function r2BundleReader(bucket: R2Bucket, modelName: string): BundleReader {
  const prefix = bundlePrefix(modelName);
  return {
    // Every read is a new ArrayBuffer of its own: the bundle detaches a stage's weights once ORT has copied them.
    freshBuffers: true,
    async read(path: string): Promise<Uint8Array> {
      const object = await bucket.get(prefix + path);
      if (!object) throw new Error(`R2 object ${prefix + path} does not exist`);
      return new Uint8Array(await object.arrayBuffer());
    },
  };
}
