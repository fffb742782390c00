// The Python that has NumPy: `python3` on PATH, or Debian's /usr/bin/python3 with python3-numpy (what
// .ci/run installs) when PATH finds another Python without it. Undefined when neither has NumPy.
import { spawnSync } from 'node:child_process';

function hasNumpy(python: string): boolean {
  return spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
}

export const PYTHON_WITH_NUMPY: string | undefined = ['python3', '/usr/bin/python3'].find(hasNumpy);

export const NO_NUMPY_REASON = 'no python3 with NumPy is installed (apt-get install -y python3-numpy)';
