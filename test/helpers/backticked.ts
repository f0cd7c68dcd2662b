/** The commands a hint or plan line gives between backticks, as a user would paste them. */
export function commandsIn(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
}
