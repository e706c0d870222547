// compare: the behaviour diff of two report.json files.
export { compareReports, hasRegressions, isIdentical } from './diff.js';
export { differenceDetails, differenceTitle, renderCompareText, type CompareTextOptions } from './render.js';
export * from './types.js';
