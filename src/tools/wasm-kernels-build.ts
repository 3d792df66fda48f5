// Compiles the engine's AssemblyScript kernels with asc (an npm devDependency) into wasm bytes, in memory.
import asc from "assemblyscript/asc";

const SOURCE_DIR = "src/engine/wasm/assembly";
const OUT_DIR = "src/engine/wasm";

/**
 * The kernel modules: the int8 GEMM's SIMD128 one runs everywhere with SIMD, its relaxed one where relaxed SIMD validates;
 * the image kernels (Pillow's resample passes, PNG unfiltering) are SIMD128.
 */
export const KERNEL_MODULES = [
  { entry: "simd.ts", out: "int8-gemm-simd.wasm", features: ["simd"] },
  { entry: "relaxed.ts", out: "int8-gemm-relaxed.wasm", features: ["simd", "relaxed-simd"] },
  { entry: "image.ts", out: "image-simd.wasm", features: ["simd"] },
] as const;

/** Output path -> wasm bytes, for every kernel module. */
export async function compileKernels(): Promise<Record<string, Uint8Array>> {
  const result: Record<string, Uint8Array> = {};
  for (const m of KERNEL_MODULES) {
    let bytes: Uint8Array | undefined;
    let stderr = "";
    const args = [`${SOURCE_DIR}/${m.entry}`, "--outFile", "out.wasm", "-O3", "--noAssert", "--runtime", "stub"];
    for (const f of m.features) args.push("--enable", f);
    const { error } = await asc.main(args, {
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") bytes = contents;
      },
      stderr: {
        write: (s: string | Uint8Array) => {
          stderr += typeof s === "string" ? s : new TextDecoder().decode(s);
          return true;
        },
      },
      stdout: { write: () => true },
    } as never);
    if (error || !bytes) throw new Error(`asc failed for ${m.entry}: ${error?.message ?? "no output"}\n${stderr}`);
    result[`${OUT_DIR}/${m.out}`] = bytes;
  }
  return result;
}
