/**
 * Whether a name from the configuration may be repeated in a message. A secret pasted
 * where a name belongs (a variable name, a key, a sandbox name) must not be printed back,
 * and real secrets mix letters with digits or symbols; names made of letters and `_`
 * only are shown, anything else is pointed at by its file:line:col instead.
 */
export function isPlausibleName(text: string): boolean {
  return /^[A-Za-z_]{1,64}$/.test(text);
}
