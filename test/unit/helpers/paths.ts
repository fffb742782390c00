// Where the shared test data lives: ../shared beside the repository (CI clones main with shared/ next to it).
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const modelsDir = path.join(sharedDir, 'models');
export const modelFiles = path.join(modelsDir, 'files');
export const goldenDir = path.join(sharedDir, 'golden');
