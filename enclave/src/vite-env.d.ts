/**
 * Module declarations for Vite's special imports used by the enclave.
 */
declare module '*?worker&url' {
  const url: string;
  export default url;
}
