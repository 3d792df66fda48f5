// Wasm files imported by the worker are precompiled at deploy time (wrangler rule CompiledWasm).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
