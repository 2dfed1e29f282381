/**
 * Ignition parameters per network, in one place: `deploy/parameters/<network>.json` (Ignition's own format,
 * `{ "<moduleId>": { "<name>": value } }`, bigints as `"123n"`), or the file named by `DEPLOY_PARAMETERS`.
 * `"${NAME}"` values are read from the environment, so a committed file names the admin, the three relayer keys,
 * the verifier and the treasury of a public network without holding anyone's address.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

/** A parameters file is missing a value, names an unset variable, or is not valid JSON. */
export class DeployParametersError extends Error {
  override name = "DeployParametersError";
  readonly code = "invalid_deploy_parameters";
}

export type DeployParameterValue = string | number | bigint | boolean;
export type DeployParameters = Record<string, Record<string, DeployParameterValue>>;

export type LoadDeployParametersParameters = {
  /** The Hardhat network name (`localhost`, `baseSepolia`, …); selects deploy/parameters/<network>.json. */
  network: string;
  env?: Record<string, string | undefined>;
};
export type LoadDeployParametersReturnType = {
  /** The file read, or undefined when the network has none (every module default applies). */
  file: string | undefined;
  parameters: DeployParameters;
};

const VARIABLE = /^\$\{([A-Z0-9_]+)\}$/;
const BIGINT = /^-?\d+n$/;

export async function loadDeployParameters({ network, env = process.env }: LoadDeployParametersParameters): Promise<LoadDeployParametersReturnType> {
  const explicit = env.DEPLOY_PARAMETERS !== undefined && env.DEPLOY_PARAMETERS !== "" ? resolve(env.DEPLOY_PARAMETERS) : undefined;
  const file = explicit ?? join(ROOT, "deploy", "parameters", `${network}.json`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (explicit === undefined && (error as NodeJS.ErrnoException).code === "ENOENT") return { file: undefined, parameters: {} };
    throw new DeployParametersError(`cannot read ${file}: ${String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeployParametersError(`${file} is not valid JSON: ${String(error)}`);
  }
  if (!isRecord(json)) throw new DeployParametersError(`${file}: expected { "<moduleId>": { "<parameter>": value } }`);
  const parameters: DeployParameters = {};
  for (const [moduleId, values] of Object.entries(json)) {
    if (!isRecord(values)) throw new DeployParametersError(`${file}: ${moduleId} must be an object of parameters`);
    parameters[moduleId] = {};
    for (const [name, raw] of Object.entries(values)) {
      parameters[moduleId][name] = resolveValue(raw, `${file}: ${moduleId}.${name}`, env);
    }
  }
  return { file, parameters };
}

function resolveValue(raw: unknown, where: string, env: Record<string, string | undefined>): DeployParameterValue {
  if (typeof raw === "number" || typeof raw === "boolean") return raw;
  if (typeof raw !== "string") throw new DeployParametersError(`${where}: expected a string, number or boolean`);
  const variable = VARIABLE.exec(raw);
  const value = variable === null ? raw : env[variable[1]!];
  if (value === undefined || value === "") throw new DeployParametersError(`${where}: set ${variable![1]} in the environment`);
  return BIGINT.test(value) ? BigInt(value.slice(0, -1)) : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
