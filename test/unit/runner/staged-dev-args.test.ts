// wrangler dev arguments of a staged bundle: every config, absolute state and env-file paths, the project's .dev.vars.
import { describe, expect, it } from "vitest";
import { cliVar, stagedDevArgs } from "../../../src/runner/staged-dev-args";

const o = {
  configPaths: ["/p/.wrangler/stages/front.json", "/p/.wrangler/stages/stage-0.json", "/p/.wrangler/stages/stage-1.json"],
  cwd: "/p",
  devVars: "/p/.dev.vars",
};
const configs = ["-c", o.configPaths[0], "-c", o.configPaths[1], "-c", o.configPaths[2]];

describe("stagedDevArgs", () => {
  it("passes every config, the front first, and defaults to the project's .dev.vars and .wrangler/state", () => {
    expect(stagedDevArgs(["--ip", "127.0.0.1", "--port", "9000"], o)).toEqual([
      ...configs,
      "--ip",
      "127.0.0.1",
      "--port",
      "9000",
      "--env-file",
      "/p/.dev.vars",
      "--persist-to",
      "/p/.wrangler/state",
    ]);
  });

  it("makes a given --env-file and --persist-to absolute (both spellings) and then adds neither default", () => {
    expect(stagedDevArgs(["--env-file", "e2e.env", "--persist-to=state", "--var", "A:b"], o)).toEqual([
      ...configs,
      "--env-file",
      "/p/e2e.env",
      "--persist-to",
      "/p/state",
      "--var",
      "A:b",
    ]);
    expect(stagedDevArgs(["--env-file=/abs/x.env", "--persist-to", "/tmp/s"], o)).toEqual([...configs, "--env-file", "/abs/x.env", "--persist-to", "/tmp/s"]);
  });

  it("passes no env file when the project has no .dev.vars", () => {
    expect(stagedDevArgs([], { ...o, devVars: undefined })).toEqual([...configs, "--persist-to", "/p/.wrangler/state"]);
  });

  it("refuses a config of the caller's and an option without its value", () => {
    expect(() => stagedDevArgs(["-c", "x.toml"], o)).toThrow(/-c\/--config/);
    expect(() => stagedDevArgs(["--config=x.toml"], o)).toThrow(/-c\/--config/);
    expect(() => stagedDevArgs(["--env-file"], o)).toThrow(/needs a value/);
  });
});

describe("cliVar", () => {
  it("reads the last --var NAME:VALUE of that name, values with colons included", () => {
    expect(cliVar(["--var", "MODEL_NAME:a", "--var=MODEL_NAME:b:c", "--var", "OTHER:x"], "MODEL_NAME")).toBe("b:c");
    expect(cliVar(["--var", "MODEL_NAMES:x"], "MODEL_NAME")).toBeUndefined();
  });
});
