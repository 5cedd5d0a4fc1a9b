// An LLVM pass plugin that takes the source offsets out of bitcode: it drops the `!srcloc`
// metadata clang attaches to inline assembly (asm and asm goto) and sets the one on calls
// to 1, before ThinLTO writes its bitcode.
//
// `!srcloc` holds clang's raw SourceLocation: a byte offset into all the text the
// compile has read so far. A comment added to a widely included header (kernel.h) moves
// it in every later asm statement, so the bitcode, its module hash and every ThinLTO
// backend that imports from it change, though no code does (issue 12, measured on
// x86_64 defconfig: 2,228 of 2,654 backends re-ran). Only clang's front end can turn the
// offset back into a file and line, and an LTO backend (lld in-process or a distributed
// `clang -x ir` backend) has no front end: there it only points into the wrong file.
// The kernel rules load this plugin into bitcode compiles only; native compiles keep
// their diagnostics' locations.
//
// Calls: clang also puts `!srcloc` on a call to an __attribute__((error)) or
// ((warning)) function (the kernel's compiletime_assert, BUILD_BUG_ON, __bad_copy_to),
// and many survive to the backend, where inlining decides them (arm64 tiny: 25 objects).
// A distributed backend's clang reports that "dontcall" error only when the call has a
// location: dropped, the build would pass where it must fail. The location it prints is
// the offset read as a place in the .bc file, meaningless either way, so every call gets
// the same one, 1 (tests/toolchain:srcloc_plugin_test checks the error still fails).
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

using namespace llvm;

namespace {

struct StripSrcLoc : PassInfoMixin<StripSrcLoc> {
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    LLVMContext &Ctx = M.getContext();
    unsigned Kind = Ctx.getMDKindID("srcloc");
    MDNode *One = MDNode::get(Ctx, ConstantAsMetadata::get(ConstantInt::get(Type::getInt64Ty(Ctx), 1)));
    bool Changed = false;
    for (Function &F : M)
      for (BasicBlock &BB : F)
        for (Instruction &I : BB) {
          auto *Call = dyn_cast<CallBase>(&I);
          if (!Call || !Call->getMetadata(Kind))
            continue;
          Call->setMetadata(Kind, Call->isInlineAsm() ? nullptr : One);
          Changed = true;
        }
    return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

}  // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "kernel-strip-srcloc", "1", [](PassBuilder &PB) {
            // First in every default pipeline (ThinLTO and full LTO pre-link included),
            // before anything inlines or clones an asm statement.
            PB.registerPipelineStartEPCallback(
                [](ModulePassManager &MPM, OptimizationLevel) { MPM.addPass(StripSrcLoc()); });
          }};
}
