/** What an environment variable's name may be (POSIX portable names: letters, digits, `_`). */
export const ENV_NAME: RegExp = /^[A-Za-z_][A-Za-z0-9_]*$/;
