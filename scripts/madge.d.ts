// The part of madge's API that scripts/check-layers.ts uses (madge ships no types).
declare module "madge" {
  type MadgeResult = {
    /** Each file (relative to the root) and the files it imports. */
    obj(): Record<string, string[]>;
    /** Every import cycle, as the files along it. */
    circular(): string[][];
  };
  export default function madge(path: string, config?: { fileExtensions?: string[]; excludeRegExp?: RegExp[] }): Promise<MadgeResult>;
}
