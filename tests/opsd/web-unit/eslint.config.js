// ESLint (flat config) for the dashboard's modules and their unit tests.
// run-web-lint.sh copies this next to the node_modules it installs in the build
// directory and runs ESLint from the source root, so patterns are relative to it.
import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-implicit-globals': 'error',
    },
  },
  {
    // Served to the browser as ES modules, as they are.
    files: ['tools/opsd/web/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.browser },
  },
  {
    files: ['tests/opsd/web-unit/**/*.{js,mjs}', 'tests/opsd/browser/**/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
  },
  {
    // The browser test hands functions to page.evaluate(), which run in the page.
    files: ['tests/opsd/browser/**/*.mjs'],
    languageOptions: { globals: globals.browser },
  },
];
