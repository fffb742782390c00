// Text imports (esbuild `with { type: 'text' }`): CSS bundled as a string and adopted as a stylesheet.
declare module '*.css' {
  const text: string;
  export default text;
}
