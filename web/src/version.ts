declare const __COBROWSE_VERSION__: string;

/** The package version, injected by the build (esbuild `define`); "dev" when run from source. */
export const VERSION: string =
  typeof __COBROWSE_VERSION__ === 'string' ? __COBROWSE_VERSION__ : 'dev';
