import { describe, expect, it } from "vitest";
import { ABNORMAL_STATES, NORMAL_STATES, PROMPT_SET_VERSION, PROMPT_TEMPLATES, promptSentences } from "../../../src/engine/anomaly/prompts";

describe("promptSentences", () => {
  it("builds every state x template sentence, state-major, normal then abnormal", () => {
    expect(NORMAL_STATES).toHaveLength(7);
    expect(ABNORMAL_STATES).toHaveLength(5);
    expect(PROMPT_TEMPLATES).toHaveLength(35);
    const s = promptSentences("bottle");
    expect(s.normal).toHaveLength(245);
    expect(s.abnormal).toHaveLength(175);
    expect(s.normal[0]).toBe("a bad photo of a bottle.");
    expect(s.normal[1]).toBe("a low resolution photo of the bottle.");
    expect(s.normal[34]).toBe("this is one bottle in the scene.");
    expect(s.normal[35]).toBe("a bad photo of a flawless bottle.");
    expect(s.normal[6 * 35 + 30]).toBe("there is a bottle without damage in the scene.");
    expect(s.abnormal[0]).toBe("a bad photo of a damaged bottle.");
    expect(s.abnormal[2 * 35 + 14]).toBe("a photo of the bottle with flaw.");
    expect(s.abnormal[174]).toBe("this is one bottle with damage in the scene.");
  });

  it("keeps underscores by default (as the official code) and replaces them on request", () => {
    expect(promptSentences("metal_nut").normal[0]).toBe("a bad photo of a metal_nut.");
    expect(promptSentences("metal_nut", { underscoreToSpace: true }).abnormal[1]).toBe("a low resolution photo of the damaged metal nut.");
  });

  it("inserts the name verbatim (no format re-interpretation, no replacement patterns)", () => {
    expect(promptSentences("a{}b$&").normal[0]).toBe("a bad photo of a a{}b$&.");
  });

  it("has a content-derived version for cache keys", () => {
    expect(PROMPT_SET_VERSION).toBe("p1-a5cfce81");
  });
});
