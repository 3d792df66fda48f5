// decodeImageLeased in Node 20, whose DecompressionStream cannot be read BYOB: the JS inflater runs (decodeImage itself).
// The native path is tested inside workerd (test/workers/native-inflate.test.ts).
import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { decodeImage, decodeImageLeased } from "../../../../src/engine/image/decode";
import { nativeInflateSupported } from "../../../../src/engine/image/inflate-native";
import { BytePool } from "../../../../src/shared/byte-pool";

describe("decodeImageLeased without a BYOB-readable DecompressionStream", () => {
  it("is detected, and decodes as decodeImage does without taking a pooled buffer", async () => {
    expect(nativeInflateSupported()).toBe(false);
    const pool = new BytePool(2 ** 20);
    const bytes = encode({ width: 33, height: 21, data: new Uint8Array(33 * 21 * 3).map((_, i) => (i * 29) & 255), channels: 3, depth: 8 });
    const { image, release } = await decodeImageLeased(bytes, { maxPixels: 1e6 }, pool);
    expect(pool.checkedOut).toBe(0);
    expect(Buffer.from(image.data).equals(Buffer.from(decodeImage(bytes, { maxPixels: 1e6 }).data))).toBe(true);
    release();
    await expect(decodeImageLeased(bytes.subarray(0, 60), { maxPixels: 1e6 }, pool)).rejects.toMatchObject({ code: "corrupt_image" });
  });
});
