export const value = 'from B';
export const url = import.meta.url;
