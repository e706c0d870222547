// S6 at every step: the guest's PAT memtype list against the reservations
// the model predicts for the lab's mappings (model/s6.ts).
import { checkS6 } from '../../model/index.js';
import type { SafetyProperty } from './property.js';

export const s6: SafetyProperty = {
  id: 'S6',
  text: 'memtype coherence: every live /dev/mem mapping the lab holds is covered by a reservation of its cache mode, no page has two conflicting reservations, and no reservation outlives the mapping that made it',
  source: 'arch/x86/mm/pat/memtype.c track_pfn_remap()/untrack_pfn() → reserve_pfn_range()/free_pfn_range() → memtype_reserve()/memtype_free()',
  atStep: (v) => checkS6(v.step, v.memtypes, v.state.labMappings ?? [], v.released, v.made),
};
