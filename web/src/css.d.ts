// CSS imported from TypeScript is bundled by esbuild into a sibling .css file.
declare module '*.css';
