// S3, fed by the ptrace-path reads and writes of held mappings (lab/held.ts,
// model checkS3()).
import type { SafetyProperty } from './property.js';

export const s3: SafetyProperty = {
  id: 'S3',
  text: 'ptrace access to a revoked mapping never reaches the physical page',
  source: 'mm/memory.c generic_access_phys()',
};
