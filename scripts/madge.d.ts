/** The part of madge's API (it ships no types) that scripts/check-imports.ts uses. */
declare module "madge" {
  type MadgeConfig = { fileExtensions?: string[]; tsConfig?: string; excludeRegExp?: RegExp[] };
  type MadgeResult = { obj(): Record<string, string[]>; circular(): string[][] };
  export default function madge(path: string, config?: MadgeConfig): Promise<MadgeResult>;
}
