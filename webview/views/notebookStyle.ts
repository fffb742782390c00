// The stylesheet of the output step, the weight matrices block, the weight grids and the copy buttons.

import notebookCss from '../../media/notebook.css' with { type: 'text' };
import { adoptOnce } from '../adoptOnce';

export function adoptNotebookStyle(): void {
  adoptOnce(notebookCss);
}
