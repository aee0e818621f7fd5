#!/usr/bin/env node
// Entry point of every linepulse process. TypeScript sources run through tsx's loader, so a clone needs no
// build step; `npm run build` is only for packaging.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
