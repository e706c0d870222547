// The executable model of kernel-model.md: facts in, expectations and
// verdicts out. Everything here is pure.

export * from './facts.js';
export { FEATURE_IDS, featureCommit, resolveFeatures, type FeatureDecision, type FeatureId, type Features } from './versions.js';
export { annotateIomem, flattenResources, inferFlags, isSystemRam, PCI_BDF, VIRTIO_MEM_CHILD, VIRTIO_MEM_PARENT, type ResourceFlags, type ResourceNode } from './flags.js';
export { pageIntersectsSystemRam, pageIsRam, regionIntersects, walkMemRes, type RegionIntersection } from './regions.js';
export { modelContext, type ModelContext } from './context.js';
export { iomemIsExclusive, strictIomemChecks, type ExclusiveResult, type StrictIomem } from './exclusive.js';
export { devmemIsAllowed, firstDeniedPage, pageRuns, type DiaResult, type DiaValue, type PageRun } from './dia.js';
export { DEFAULT_OPEN, predictOpen, type OpenContext } from './open.js';
export { mapChunk, predictReadWrite, validPhysAddrRange, type ChunkMapping } from './rw.js';
export { DEFAULT_MMAP, predictMmap, type MmapOptions } from './mmap.js';
export { mappingReservation, patConflict, patEnabled, type LabMapping, type PatAnswer } from './memtypes.js';
export { seabiosMtrr, writeBackAnswer, type WriteBackAnswer } from './mtrr.js';
export { claimRevokes, claimsFromIomemDiff, livePieces, predictHeldTouch, subtractRanges, predictTouch, type Claim, type ClaimEvent, type HeldMapping, type RevokeDecision } from './touch.js';
export {
  addedBlocks,
  checkHighMemory,
  checkVirtioMemKconfig,
  checkVirtioMemShape,
  expectedHighMemoryEnd,
  findParent,
  mergeRanges,
  pageOfflineRanges,
  predictReload,
  predictUnload,
  type ReloadPrediction,
  type UnloadPrediction,
  type VmemFinding,
} from './vmem.js';
export { predictPtrace, type PtraceAccess } from './ptrace.js';
export { predictKcore, type KcoreAccess, type KcorePage } from './kcore.js';
export { RULE_IDS, RULES, ruleInfo, rulesFor, type RuleId, type RuleInfo } from './rules.js';
export { devmemIsAllowedArm64 } from './arm64/dia.js';
export { DEVM_CLAIM, DT_NODE, inferArm64Flags } from './arm64/flags.js';
export { memblockRegions, validPhysAddrRangeArm64, type MemblockAnswer, type MemblockRegion } from './arm64/memblock.js';
export { paBits, validMmapPhysAddrRangeArm64 } from './arm64/mmap.js';
export { expectedConsoleWarning, IOREMAP_ALLOWED_WARNING } from './arm64/ptrace.js';
export { firstUnbacked } from './arm64/touch.js';
export { mergeVia, type Expected, type Outcome, type Syscall } from './expected.js';
export { predict, type PredictOptions } from './predict.js';
export {
  checkS1,
  checkS2,
  checkS3,
  emptySafetyReport,
  explainJudgement,
  foldSafety,
  judge,
  type Judgement,
  type SafetyEvidence,
  type SafetyId,
  type SafetyReport,
  type SafetyResult,
  type SafetyStatus,
  type Verdict,
} from './verdict.js';
export { predictLseek, SEEK_MAX, WHENCE_NAMES, type LseekExpected } from './lseek.js';
export { checkS6, type StepMapping } from './s6.js';
