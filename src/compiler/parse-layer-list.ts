// Parses "3,6,9,12" into layer numbers, rejecting anything that is not a positive integer.
import { CompileError } from "./compile-bundle";

export function parseLayerList(text: string): number[] {
  const layers = text.split(",").map((s) => s.trim());
  if (layers.some((s) => !/^[1-9]\d*$/.test(s))) {
    throw new CompileError("bad_layers", `layer list "${text}" must be comma-separated positive integers, e.g. 3,6,9,12`);
  }
  return layers.map(Number);
}
