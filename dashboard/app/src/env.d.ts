// Lets TypeScript (tsc -p tsconfig.json) resolve `import App from './App.svelte'`; svelte-check and the Svelte
// plugin type the components themselves.
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, never>>;
  export default component;
}
