// Imported first by extension.ts: bundled modules run in import order, so this records when dist/extension.js
// started loading, and activate() can log its own cost (loading the bundle plus activate()).
export const bundleLoadStartedAt = performance.now();
