// The few-shot nearest-neighbour search as an ONNX graph, so the k*G*G x G*G cosine products run in ORT, not JS loops.
import { DataType, GraphBuilder } from "./graph-builder";
import { fewShotHeadNames } from "../../engine/runtime/graph-names";
import { l2Normalize } from "./transformer-blocks";

/**
 * query_tokens [layers, patches, width] and memory_bank [layers, rows, width] (raw tokens, no class token)
 * -> min_distance [layers, patches] = min over memory rows of (1 - cosine).
 */
export function buildFewShotHeadGraph(width: number): Uint8Array {
  const g = new GraphBuilder("april_gan_few_shot_head");
  const q = g.input(fewShotHeadNames.query, DataType.FLOAT, ["layers", "patches", width]);
  const m = g.input(fewShotHeadNames.memory, DataType.FLOAT, ["layers", "rows", width]);
  const cos = g.op("MatMul", [l2Normalize(g, q), g.op("Transpose", [l2Normalize(g, m)], { perm: [0, 2, 1] })]);
  const best = g.op("ReduceMax", [cos], { axes: [2], keepdims: 0 });
  g.node("Sub", [g.scalar("one", 1), best], {}, [fewShotHeadNames.distance]);
  g.output(fewShotHeadNames.distance, DataType.FLOAT, ["layers", "patches"]);
  return g.build();
}
