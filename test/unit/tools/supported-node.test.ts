import { describe, expect, it } from "vitest";
import { unsupportedNodeMessage } from "../../../src/tools/supported-node";

describe("unsupportedNodeMessage", () => {
  it("accepts Node 20.11+ and 22", () => {
    for (const v of ["v20.11.0", "v20.20.2", "v22.0.0", "v22.12.1"]) expect(unsupportedNodeMessage(v)).toBeUndefined();
  });

  it("refuses older, newer and odd versions with a message naming what to install", () => {
    for (const v of ["v18.19.0", "v20.10.0", "v21.7.3", "v23.1.0", "v24.0.0"]) {
      expect(unsupportedNodeMessage(v)).toMatch(new RegExp(`Node.js ${v} is not supported: .*Node.js 20 \\(20.11 or later\\) or 22`));
    }
    expect(unsupportedNodeMessage("banana")).toMatch(/cannot read the Node.js version/);
  });

  it("accepts the Node.js running this test (what CI runs)", () => {
    expect(unsupportedNodeMessage(process.version)).toBeUndefined();
  });
});
