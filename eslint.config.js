import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Modules only Node has (built-ins and the Node-only packages): allowed in src/node/, src/node.ts and src/node-main.ts only. */
const nodeOnly = {
  paths: [
    ...builtinModules.map((name) => ({ name, message: 'Node built-ins belong in src/node/.' })),
    { name: 'commander', message: 'The command line lives in src/node/cli/.' },
    { name: '@resvg/resvg-js', message: 'PNG rendering with resvg is Node-only: src/node/.' },
    { name: 'tsx', message: 'Node-only.' },
  ],
  patterns: [
    { group: ['node:*'], message: 'Node built-ins belong in src/node/.' },
    {
      group: ['**/node/*', '**/node/**', '**/node.js'],
      message: 'Universal code (and the web page) must not import the Node folder.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'web/**/*.ts'],
    ignores: ['src/node/**', 'src/node.ts', 'src/node-main.ts'],
    rules: { 'no-restricted-imports': ['error', nodeOnly] },
  },
);
