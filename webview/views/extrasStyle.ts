// The stylesheet of the graph, windows and history views.

import extrasCss from '../../media/extras.css' with { type: 'text' };
import { adoptOnce } from '../adoptOnce';

export function adoptExtrasStyle(): void {
  adoptOnce(extrasCss);
}
