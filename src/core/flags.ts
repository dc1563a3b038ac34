/** Flags appended to a space-separated list (NVCC_APPEND_FLAGS) unless already there. */
export function appendFlags(list: string | undefined, flags: readonly string[]): string {
  const present = (list ?? '').split(/\s+/).filter(Boolean);
  return [...present, ...flags.filter((flag) => !present.includes(flag))].join(' ');
}
