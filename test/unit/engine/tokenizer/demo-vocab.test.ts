// The demo merges file: deterministic, in the real file's format, covering every prompt word.
import { describe, expect, it } from "vitest";
import prompts from "../../../../src/engine/anomaly/prompts.json";
import { cleanLower } from "../../../../src/engine/tokenizer/clean-text";
import { createClipTokenizer } from "../../../../src/engine/tokenizer/clip-tokenizer";
import { DEMO_OBJECT_NAMES, buildDemoMerges } from "../../../../src/engine/tokenizer/demo-vocab";
import { learnMerges } from "../../../../src/engine/tokenizer/bpe-learner";

const merges = buildDemoMerges();
const tok = createClipTokenizer(merges);

describe("buildDemoMerges", () => {
  it("is deterministic", () => {
    expect(buildDemoMerges()).toBe(merges);
  });

  it("has the real file's format", () => {
    const lines = merges.split("\n");
    expect(lines[0]).toBe("#version: 0.2");
    expect(lines[lines.length - 1]).toBe(""); // trailing newline
    const body = lines.slice(1, -1);
    expect(body.length).toBeGreaterThan(100);
    expect(body.length).toBeLessThanOrEqual(2000);
    for (const line of body) expect(line).toMatch(/^\S+ \S+$/);
  });

  it("puts SOT/EOT right after the merges", () => {
    const mergeCount = merges.split("\n").length - 2;
    expect(tok.vocabSize).toBe(512 + mergeCount + 2);
    expect(tok.sot).toBe(tok.vocabSize - 2);
    expect(tok.eot).toBe(tok.vocabSize - 1);
  });

  it("encodes every prompt word as a single token", () => {
    const texts = [...prompts.normal_states, ...prompts.abnormal_states, ...prompts.templates];
    const words = new Set<string>();
    for (const t of [...texts, ...DEMO_OBJECT_NAMES]) {
      for (const w of t.toLowerCase().match(/\p{L}+/gu) ?? []) words.add(w);
    }
    for (const w of words) expect(tok.encode(w), w).toHaveLength(1);
  });

  it("round-trips every prompt sentence", () => {
    for (const name of ["metal_nut", "pipe fryum", "widget"]) {
      for (const state of [...prompts.normal_states, ...prompts.abnormal_states]) {
        for (const template of prompts.templates) {
          const sentence = template.replace("{}", state.replace("{}", name));
          const ids = tok.encode(sentence);
          expect(ids.every((i) => i >= 0 && i < tok.sot)).toBe(true);
          const squash = (s: string) => s.replace(/\s+/g, "");
          expect(squash(tok.decode(ids))).toBe(squash(cleanLower(sentence)));
        }
      }
    }
  });
});

describe("learnMerges", () => {
  it("merges the most frequent pair first, ties by string order", () => {
    // "ab" x3, "ac" x3: pairs "a b</w>" and "a c</w>" tie at 3 -> "a b</w>" sorts first.
    const merges = learnMerges(
      new Map([
        ["ab", 3],
        ["ac", 3],
        ["d", 1],
      ]),
    );
    expect(merges).toEqual([
      ["a", "b</w>"],
      ["a", "c</w>"],
    ]);
  });
});
