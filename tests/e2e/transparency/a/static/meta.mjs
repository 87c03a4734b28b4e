export const url = import.meta.url;
export const resolved = import.meta.resolve('./sibling.mjs');
