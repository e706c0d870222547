// S2, fed by the touches of held mappings (lab/held.ts, model checkS2()).
import type { SafetyProperty } from './property.js';

export const s2: SafetyProperty = {
  id: 'S2',
  text: 'a mapping made before a driver claims its range is revoked: a later touch never returns the new owner\'s memory',
  source: 'kernel/resource.c revoke_iomem(); mm/memory.c unmap_mapping_range()',
};
