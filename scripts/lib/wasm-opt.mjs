// Optimizes WebAssembly modules for size, as `wasm-opt -Oz` does, in one
// process: binaryen (npm, pinned by package-lock.json) starts once for all
// the modules instead of once per module; the split bundle has hundreds.
//
//   node scripts/lib/wasm-opt.mjs OUT_DIR MODULE.wasm...
//
// Each MODULE is written to OUT_DIR under its own name.
import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const [outDir, ...modules] = process.argv.slice(2);
if (!outDir || modules.length === 0) {
  console.error("usage: wasm-opt.mjs OUT_DIR MODULE.wasm...");
  process.exit(2);
}

// What rustc builds wasm32-unknown-unknown with (LLVM's generic CPU), so the
// optimizer may use what the browser needs anyway, and nothing more.
const F = binaryen.Features;
const features =
  F.MutableGlobals |
  F.NontrappingFPToInt |
  F.BulkMemory |
  F.BulkMemoryOpt |
  F.SignExt |
  F.ReferenceTypes |
  F.Multivalue |
  F.CallIndirectOverlong;

binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
for (const path of modules) {
  const module = binaryen.readBinary(readFileSync(path));
  try {
    module.setFeatures(features);
    if (!module.validate()) throw new Error(`${path} is not valid WebAssembly`);
    module.optimize();
    writeFileSync(join(outDir, basename(path)), module.emitBinary());
  } finally {
    module.dispose();
  }
}
